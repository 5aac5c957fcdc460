package dev.shardgate.simulator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardgate.protocol.Intents;
import dev.shardgate.simulator.gateway.IdentifyRecord;
import dev.shardgate.testkit.ManualClock;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Identify's documented close codes (discord-gateway.md §8.1, §13.2) and the concurrency buckets (§8.2). */
@Tag("process")
class IdentifyRulesTest {
    private static Simulator sim;

    @BeforeAll
    static void start() {
        sim = Simulator.builder().token("sim-token").shards(64).maxConcurrency(16).guildsPerShard(1)
                .enabledPrivilegedIntents(Intents.GUILD_MEMBERS).start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static int closeAfter(int shard, String... payloads) throws InterruptedException {
        GatewayTestClient c = GatewayTestClient.zlib(sim.gateway().url());
        c.next(10, null);
        for (String p : payloads) {
            c.sendJson(p.replace("$SHARD", Integer.toString(shard)));
        }
        return c.awaitClose();
    }

    private static String identify(String token, String shard, String intents) {
        return "{\"op\":2,\"d\":{\"token\":\"" + token + "\",\"intents\":" + intents
                + ",\"properties\":{\"os\":\"linux\",\"browser\":\"t\",\"device\":\"t\"},\"shard\":" + shard + "}}";
    }

    @Test
    void badTokenCloses4004() throws Exception {
        assertEquals(4004, closeAfter(0, identify("not-the-token", "[0,64]", "513")));
        assertEquals(IdentifyRecord.Outcome.REJECTED, sim.gateway().identifies().stream()
                .filter(r -> r.outcome() == IdentifyRecord.Outcome.REJECTED).findAny().orElseThrow().outcome());
    }

    @Test
    void anythingButHeartbeatBeforeIdentifyCloses4003() throws Exception {
        assertEquals(4003, closeAfter(0, "{\"op\":1,\"d\":null}",
                "{\"op\":3,\"d\":{\"since\":null,\"activities\":[],\"status\":\"online\",\"afk\":false}}"));
    }

    @Test
    void oversizedPayloadCloses4002() throws Exception {
        String big = "{\"op\":1,\"d\":null,\"pad\":\"" + "x".repeat(4100) + "\"}";
        assertEquals(4002, closeAfter(0, big));
    }

    @Test
    void payloadOfExactly4096BytesIsAccepted() throws Exception {
        String head = "{\"op\":1,\"d\":null,\"pad\":\"";
        String exact = head + "x".repeat(4096 - head.length() - 2) + "\"}";
        assertEquals(4096, exact.length());
        GatewayTestClient c = GatewayTestClient.plain(sim.gateway().url());
        c.next(10, null);
        c.sendJson(exact);
        assertEquals(11, c.next().get("op").asInt());
        c.closeBlocking();
    }

    @Test
    void invalidJsonCloses4002() throws Exception {
        assertEquals(4002, closeAfter(0, "{\"op\":2,\"d\":"));
    }

    @Test
    void unknownOpcodeCloses4001() throws Exception {
        assertEquals(4001, closeAfter(0, "{\"op\":5,\"d\":null}"));
        assertEquals(4001, closeAfter(0, "{\"op\":11,\"d\":null}"));
    }

    @Test
    void badShardCloses4010() throws Exception {
        assertEquals(4010, closeAfter(0, identify("sim-token", "[64,64]", "513")));
        assertEquals(4010, closeAfter(0, identify("sim-token", "[0,0]", "513")));
        assertEquals(4010, closeAfter(0, identify("sim-token", "\"zero\"", "513")));
    }

    @Test
    void undefinedIntentBitsClose4013() throws Exception {
        assertEquals(4013, closeAfter(0, identify("sim-token", "[0,64]", Integer.toString(1 << 30))));
        assertEquals(4013, closeAfter(0, identify("sim-token", "[0,64]", "-1")));
    }

    @Test
    void privilegedIntentNotEnabledCloses4014() throws Exception {
        assertEquals(4014, closeAfter(0, identify("sim-token", "[0,64]", Integer.toString(Intents.MESSAGE_CONTENT))));
    }

    @Test
    void secondIdentifyCloses4005() throws Exception {
        GatewayTestClient c = GatewayTestClient.zlib(sim.gateway().url());
        c.identifyReady("sim-token", 17, 64);
        c.identify("sim-token", 17, 64, Intents.GUILD_MEMBERS | 1);
        assertEquals(4005, c.awaitClose());
    }

    @Test
    void reusingABucketWithinFiveSecondsGetsInvalidSessionFalse() throws Exception {
        // A stopped clock keeps both identifies in one 5-second window however slow the machine is.
        try (Simulator frozen = Simulator.builder().token("sim-token").shards(64).maxConcurrency(16)
                .guildsPerShard(1).clock(ManualClock.startingNow()).start()) {
            // Shards 3 and 19 share bucket 3 (3 % 16 == 19 % 16); shard 4 has its own.
            GatewayTestClient a = GatewayTestClient.zlib(frozen.gateway().url());
            GatewayTestClient b = GatewayTestClient.zlib(frozen.gateway().url());
            GatewayTestClient other = GatewayTestClient.zlib(frozen.gateway().url());
            try {
                a.identifyReady("sim-token", 3, 64);
                b.next(10, null);
                b.identify("sim-token", 19, 64, 513);
                JsonNode invalid = b.next(9, null);
                assertFalse(invalid.get("d").asBoolean());
                assertTrue(b.isOpen(), "op 9 is not a close");
                other.identifyReady("sim-token", 4, 64);

                List<IdentifyRecord> ids = frozen.gateway().identifies();
                IdentifyRecord limited = ids.stream().filter(r -> r.shardId() == 19).findFirst().orElseThrow();
                assertEquals(IdentifyRecord.Outcome.CONCURRENCY_LIMITED, limited.outcome());
                assertEquals(3, limited.bucket());
            } finally {
                a.closeBlocking();
                b.closeBlocking();
                other.closeBlocking();
            }
        }
    }

    @Test
    void unsupportedVersionCloses4012() throws Exception {
        GatewayTestClient c = GatewayTestClient.connect(sim.gateway().url(), "v=8&encoding=json");
        assertEquals(4012, c.awaitClose());
        GatewayTestClient none = GatewayTestClient.connect(sim.gateway().url(), "encoding=json");
        assertEquals(4012, none.awaitClose());
        GatewayTestClient v9 = GatewayTestClient.connect(sim.gateway().url(), "v=9&encoding=json");
        assertEquals(10, v9.next().get("op").asInt());
        v9.closeBlocking();
    }

    @Test
    void exhaustingTheSessionStartBudgetResetsTheToken() throws Exception {
        try (Simulator small = Simulator.builder().shards(4).maxConcurrency(4).guildsPerShard(1)
                .sessionStartLimit(1000, 2, Duration.ofHours(24)).start()) {
            GatewayTestClient s0 = GatewayTestClient.zlib(small.gateway().url());
            GatewayTestClient s1 = GatewayTestClient.zlib(small.gateway().url());
            s0.identifyReady("sim-token", 0, 4);
            s1.identifyReady("sim-token", 1, 4);
            assertEquals(0, small.gateway().sessionStartRemaining());
            assertFalse(small.gateway().tokenReset());
            assertEquals(200, statusOf(small, "/users/@me"));

            GatewayTestClient s2 = GatewayTestClient.zlib(small.gateway().url());
            s2.next(10, null);
            s2.identify("sim-token", 2, 4, 513);
            assertEquals(4004, s2.awaitClose());
            assertEquals(4004, s0.awaitClose());
            assertEquals(4004, s1.awaitClose());
            assertTrue(small.gateway().tokenReset());
            assertEquals(IdentifyRecord.Outcome.TOKEN_RESET, small.gateway().identifies().getLast().outcome());

            GatewayTestClient later = GatewayTestClient.zlib(small.gateway().url());
            later.next(10, null);
            later.identify("sim-token", 3, 4, 513);
            assertEquals(4004, later.awaitClose(), "the old token no longer works");
            await().until(() -> small.gateway().connectionCount() == 0);
            assertEquals(401, statusOf(small, "/gateway/bot"), "nor on /gateway/bot");
            assertEquals(401, statusOf(small, "/users/@me"), "nor on REST routes");
            assertEquals(401, statusOf(small, "/channels/1194611598950412290/messages"), "nor on REST routes");
        }
    }

    /** The status of a GET with the simulator's bot token. */
    private static int statusOf(Simulator sim, String route) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create(sim.apiUrl() + route))
                    .header("Authorization", "Bot sim-token").build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        }
    }
}
