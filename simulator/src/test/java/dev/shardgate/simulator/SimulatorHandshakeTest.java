package dev.shardgate.simulator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.protocol.Snowflake;
import dev.shardgate.simulator.gateway.IdentifyRecord;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("process")
class SimulatorHandshakeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Simulator sim;

    @BeforeAll
    static void start() {
        sim = Simulator.builder().token("sim-token").shards(4).maxConcurrency(4).guildsPerShard(3)
                .sessionStartLimit(1000, 990, Duration.ofHours(1)).heartbeatInterval(Duration.ofSeconds(30)).start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @Test
    void gatewayBotAdvertisesTheGatewayShardsAndLiveBudget() throws Exception {
        HttpResponse<String> r = get("/gateway/bot", "Bot sim-token");
        assertEquals(200, r.statusCode());
        JsonNode body = JSON.readTree(r.body());
        assertEquals(sim.gateway().url(), body.get("url").asText());
        assertTrue(body.get("url").asText().startsWith("ws://127.0.0.1:"));
        assertEquals(4, body.get("shards").asInt());
        JsonNode limit = body.get("session_start_limit");
        assertEquals(1000, limit.get("total").asInt());
        assertEquals(sim.gateway().sessionStartRemaining(), limit.get("remaining").asInt());
        assertEquals(4, limit.get("max_concurrency").asInt());
        assertTrue(limit.get("reset_after").asLong() > 3_500_000 && limit.get("reset_after").asLong() <= 3_600_000);
    }

    @Test
    void gatewayBotNeedsTheBotToken() throws Exception {
        for (String auth : new String[] {null, "sim-token", "Bot wrong", "Bearer sim-token"}) {
            HttpResponse<String> r = get("/gateway/bot", auth);
            assertEquals(401, r.statusCode(), "auth " + auth);
            assertEquals("{\"message\": \"401: Unauthorized\", \"code\": 0}", r.body());
        }
    }

    @Test
    void gatewayNeedsNoAuth() throws Exception {
        HttpResponse<String> r = get("/gateway", null);
        assertEquals(200, r.statusCode());
        assertEquals(sim.gateway().url(), JSON.readTree(r.body()).get("url").asText());
    }

    @Test
    void otherApiRoutesGoToTheRestSimulator() throws Exception {
        HttpResponse<String> r = get("/gateway/botx", "Bot sim-token");
        assertTrue(r.statusCode() == 404 || r.statusCode() == 401, "status " + r.statusCode());
    }

    @Test
    void helloIdentifyReadyAndGuildCreateOverZlibStream() throws Exception {
        GatewayTestClient c = GatewayTestClient.zlib(sim.gateway().url());
        try {
            JsonNode hello = c.next();
            assertEquals(10, hello.get("op").asInt());
            assertEquals(30000, hello.get("d").get("heartbeat_interval").asInt());
            int remainingBefore = sim.gateway().sessionStartRemaining();
            c.identify("sim-token", 2, 4, 513);
            JsonNode ready = c.nextDispatch("READY");
            assertEquals(1, ready.get("s").asInt());
            JsonNode d = ready.get("d");
            assertEquals(10, d.get("v").asInt());
            assertEquals(sim.gateway().resumeUrl(), d.get("resume_gateway_url").asText());
            assertFalse(sim.gateway().resumeUrl().equals(sim.gateway().url()));
            assertEquals("[2,4]", d.get("shard").toString());
            assertTrue(d.get("user").get("bot").asBoolean());
            assertEquals(32, d.get("session_id").asText().length());
            assertEquals(3, d.get("guilds").size());
            for (int i = 0; i < 3; i++) {
                JsonNode g = c.nextDispatch("GUILD_CREATE");
                assertEquals(2 + i, g.get("s").asInt());
                long id = Snowflake.parse(g.get("d").get("id").asText());
                assertEquals(d.get("guilds").get(i).get("id").asText(), g.get("d").get("id").asText());
                assertEquals(2, Snowflake.shardFor(id, 4), "guild on its shard");
                assertTrue(g.get("d").get("channels").size() > 0);
            }
            assertEquals(remainingBefore - 1, sim.gateway().sessionStartRemaining());

            c.sendJson("{\"op\":1,\"d\":4}");
            assertEquals(11, c.next(11, null).get("op").asInt());

            byte[] first = c.binaryMessages.get(0);
            assertEquals(0x78, first[0] & 0xFF, "the stream starts with the zlib header");
            for (byte[] m : c.binaryMessages) {
                assertArrayEquals(new byte[] {0, 0, (byte) 0xFF, (byte) 0xFF},
                        Arrays.copyOfRange(m, m.length - 4, m.length), "every message ends with the sync flush");
            }
            assertTrue(c.textMessages.isEmpty());
            assertTrue(c.decodeErrors.isEmpty(), c.decodeErrors.toString());

            String sessionId = d.get("session_id").asText();
            assertEquals(4, sim.gateway().ledgerOfSession(sessionId).size());
            assertEquals("READY", sim.gateway().ledgerOfSession(sessionId).get(0).type());
            IdentifyRecord last = sim.gateway().identifies().getLast();
            assertEquals(2, last.shardId());
            assertEquals(2, last.bucket());
            assertEquals(IdentifyRecord.Outcome.ACCEPTED, last.outcome());
        } finally {
            c.closeBlocking();
        }
    }

    @Test
    void zstdStreamIsOneFrameWithEveryMessageOneWholePayload() throws Exception {
        GatewayTestClient c = GatewayTestClient.zstd(sim.gateway().url());
        try {
            JsonNode ready = c.identifyReady("sim-token", 3, 4);
            for (int i = 0; i < 3; i++) {
                assertEquals(2 + i, c.nextDispatch("GUILD_CREATE").get("s").asInt());
            }
            sim.gateway().burst(3, 20);
            String sessionId = ready.get("d").get("session_id").asText();
            await().atMost(GatewayTestClient.WAIT).until(() -> sim.gateway().ledgerOfSession(sessionId).size()
                    == c.all.stream().filter(p -> p.get("op").asInt() == 0).count());
            assertTrue(sim.gateway().ledgerOfSession(sessionId).size() > 4, "the burst reached the session");
            c.sendJson("{\"op\":1,\"d\":24}");
            c.next(11, null);

            assertEquals(3, ready.get("d").get("guilds").size());
            assertArrayEquals(new byte[] {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD},
                    Arrays.copyOf(c.binaryMessages.get(0), 4), "the stream starts with the zstd frame magic");
            for (int i = 1; i < c.binaryMessages.size(); i++) {
                byte[] m = c.binaryMessages.get(i);
                assertFalse(m.length >= 4 && m[0] == 0x28 && m[1] == (byte) 0xB5 && m[2] == 0x2F && m[3] == (byte) 0xFD,
                        "message " + i + " starts a new frame; the one frame must stay open");
            }
            assertEquals(c.binaryMessages.size(), c.all.size(), "every message is exactly one payload");
            assertTrue(c.textMessages.isEmpty());
            assertTrue(c.decodeErrors.isEmpty(), c.decodeErrors.toString());
        } finally {
            c.closeBlocking();
        }
    }

    @Test
    void anUnknownCompressIsADecodeError() throws Exception {
        GatewayTestClient c = GatewayTestClient.connect(sim.gateway().url(), "v=10&encoding=json&compress=gzip");
        assertEquals(4002, c.awaitClose());
    }

    @Test
    void plainTextWhenNoCompressionIsAsked() throws Exception {
        GatewayTestClient c = GatewayTestClient.plain(sim.gateway().url());
        try {
            JsonNode ready = c.identifyReady("Bot sim-token", 1, 4);
            assertEquals(1, ready.get("s").asInt());
            assertTrue(c.binaryMessages.isEmpty());
            assertFalse(c.textMessages.isEmpty());
        } finally {
            c.closeBlocking();
        }
    }

    @Test
    void largePayloadsCanBeSplitAcrossMessages() throws Exception {
        try (Simulator split = Simulator.builder().guildsPerShard(2).zlibSplitAbove(64).start()) {
            GatewayTestClient c = GatewayTestClient.zlib(split.gateway().url());
            try {
                c.identifyReady("sim-token", 0, 1);
                c.nextDispatch("GUILD_CREATE");
                assertTrue(c.binaryMessages.stream().anyMatch(m -> m.length == 64 && m[63] != (byte) 0xFF),
                        "some messages are fragments without the suffix");
                assertTrue(c.decodeErrors.isEmpty(), c.decodeErrors.toString());
            } finally {
                c.closeBlocking();
            }
        }
    }

    private static HttpResponse<String> get(String route, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(sim.apiUrl() + route))
                .timeout(Duration.ofSeconds(20));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }
    }
}
