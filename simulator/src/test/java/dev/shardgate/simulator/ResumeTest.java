package dev.shardgate.simulator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static java.util.concurrent.TimeUnit.SECONDS;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardgate.protocol.Intents;
import dev.shardgate.simulator.gateway.DispatchRecord;
import dev.shardgate.simulator.gateway.Endpoint;
import dev.shardgate.simulator.gateway.ResumeRecord;
import dev.shardgate.simulator.gateway.SessionState;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Resume (discord-gateway.md §10): replay in order with the original seq, then RESUMED; the failure answers. */
@Tag("process")
class ResumeTest {
    private static Simulator sim;

    @BeforeAll
    static void start() {
        // The default resume window (3 min): these tests resume after a reconnect, which a slow machine could
        // stretch past a short window. The expiry test has its own simulator.
        sim = Simulator.builder().shards(8).maxConcurrency(8).guildsPerShard(1).start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static String message(int n) {
        return "{\"id\":\"" + (1535218507309142058L + n) + "\",\"content\":\"m" + n + "\"}";
    }

    @Test
    void resumeReplaysMissedDispatchesInOrderThenResumed() throws Exception {
        GatewayTestClient first = GatewayTestClient.zlib(sim.gateway().url());
        String sessionId = first.identifyReady("sim-token", 1, 8).get("d").get("session_id").asText();
        first.nextDispatch("GUILD_CREATE");
        assertEquals(1, sim.gateway().dispatch(1, "MESSAGE_CREATE", message(1)));
        assertEquals(3, first.nextDispatch("MESSAGE_CREATE").get("s").asInt());

        assertEquals(1, sim.gateway().dropConnection(1));
        first.awaitClose();
        await().until(() -> sim.gateway().liveSessions(1).getFirst().state() == SessionState.DISCONNECTED);
        sim.gateway().dispatch(1, "MESSAGE_CREATE", message(2));
        sim.gateway().dispatch(1, "MESSAGE_CREATE", message(3));

        GatewayTestClient second = GatewayTestClient.zlib(sim.gateway().resumeUrl());
        try {
            second.next(10, null);
            second.resume("sim-token", sessionId, 3);
            JsonNode m2 = second.next();
            JsonNode m3 = second.next();
            JsonNode resumed = second.next();
            assertEquals(4, m2.get("s").asInt());
            assertEquals("m2", m2.get("d").get("content").asText());
            assertEquals(5, m3.get("s").asInt());
            assertEquals("m3", m3.get("d").get("content").asText());
            assertEquals("RESUMED", resumed.get("t").asText());
            assertEquals(6, resumed.get("s").asInt());

            ResumeRecord r = sim.gateway().resumes().getLast();
            assertEquals(ResumeRecord.Outcome.RESUMED, r.outcome());
            assertEquals(Endpoint.RESUME, r.endpoint());
            assertEquals(2, r.replayed());
            assertEquals(1, r.shardId());

            List<DispatchRecord> ledger = sim.gateway().ledgerOfSession(sessionId);
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), ledger.stream().map(DispatchRecord::seq).toList());
            assertEquals(message(2), ledger.get(3).dJson());

            sim.gateway().dispatch(1, "MESSAGE_CREATE", message(4));
            assertEquals(7, second.nextDispatch("MESSAGE_CREATE").get("s").asInt());
        } finally {
            second.close(4000);
        }
    }

    @Test
    void unknownSessionGetsInvalidSessionFalse() throws Exception {
        GatewayTestClient c = GatewayTestClient.zlib(sim.gateway().resumeUrl());
        try {
            c.next(10, null);
            c.resume("sim-token", "0123456789abcdef0123456789abcdef", 5);
            assertFalse(c.next(9, null).get("d").asBoolean());
            assertEquals(ResumeRecord.Outcome.INVALID_SESSION, sim.gateway().resumes().getLast().outcome());
        } finally {
            c.closeBlocking();
        }
    }

    @Test
    void aSeqTheSessionNeverSentCloses4007() throws Exception {
        GatewayTestClient first = GatewayTestClient.zlib(sim.gateway().url());
        String sessionId = first.identifyReady("sim-token", 2, 8).get("d").get("session_id").asText();
        first.close(4000);
        first.awaitClose();
        GatewayTestClient second = GatewayTestClient.zlib(sim.gateway().resumeUrl());
        second.next(10, null);
        second.resume("sim-token", sessionId, 99);
        assertEquals(4007, second.awaitClose());
    }

    @Test
    void aSessionClosedWith1000CannotBeResumed() throws Exception {
        // The JDK's websocket client waits for the server's close frame before dropping TCP. Java-WebSocket's client
        // drops it right after sending its own, which can make the server see 1006 instead of 1000.
        LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();
        CompletableFuture<Integer> closed = new CompletableFuture<>();
        WebSocket.Listener listener = new WebSocket.Listener() {
            private final StringBuilder partial = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    texts.add(partial.toString());
                    partial.setLength(0);
                }
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                closed.complete(code);
                return null;
            }
        };
        String sessionId;
        try (HttpClient http = HttpClient.newHttpClient()) {
            WebSocket ws = http.newWebSocketBuilder()
                    .buildAsync(URI.create(sim.gateway().url() + "/?v=10&encoding=json"), listener).get(20, SECONDS);
            texts.poll(20, SECONDS);
            ws.sendText("{\"op\":2,\"d\":{\"token\":\"sim-token\",\"intents\":513,\"properties\":{},"
                    + "\"shard\":[3,8]}}", true).get(20, SECONDS);
            String ready = texts.poll(20, SECONDS);
            sessionId = new ObjectMapper().readTree(ready).get("d").get("session_id").asText();
            ws.sendClose(1000, "bye").get(20, SECONDS);
            assertEquals(1000, closed.get(20, SECONDS));
        }
        await().until(() -> sim.gateway().sessions(3).stream()
                .anyMatch(s -> s.sessionId().equals(sessionId) && s.state() == SessionState.INVALIDATED));
        assertResumeRefused(sim, sessionId);
    }

    @Test
    void aSessionExpiresAfterTheResumeWindow() throws Exception {
        try (Simulator quick = Simulator.builder().shards(8).maxConcurrency(8).guildsPerShard(1)
                .resumeWindow(Duration.ofSeconds(2)).start()) {
            GatewayTestClient first = GatewayTestClient.zlib(quick.gateway().url());
            String sessionId = first.identifyReady("sim-token", 4, 8).get("d").get("session_id").asText();
            first.close(4000);
            await().atMost(Duration.ofSeconds(20)).until(() -> quick.gateway().sessions(4).stream()
                    .anyMatch(s -> s.sessionId().equals(sessionId) && s.state() == SessionState.EXPIRED));
            assertResumeRefused(quick, sessionId);
        }
    }

    /** A resume of a session that is gone is answered with op 9 {@code false}. */
    private static void assertResumeRefused(Simulator simulator, String sessionId) throws Exception {
        GatewayTestClient client = GatewayTestClient.zlib(simulator.gateway().resumeUrl());
        try {
            client.next(10, null);
            client.resume("sim-token", sessionId, 1);
            assertFalse(client.next(9, null).get("d").asBoolean());
        } finally {
            client.closeBlocking();
        }
    }

    @Test
    void generatedEventsQueueWhileDisconnectedAndReplayOnResume() throws Exception {
        GatewayTestClient first = GatewayTestClient.zlib(sim.gateway().url());
        first.next(10, null);
        first.identify("sim-token", 5, 8, Intents.ALL_DEFINED);
        String sessionId = first.nextDispatch("READY").get("d").get("session_id").asText();
        first.nextDispatch("GUILD_CREATE");
        first.close(4000);
        await().until(() -> sim.gateway().liveSessions(5).getFirst().state() == SessionState.DISCONNECTED);
        assertEquals(10, sim.gateway().burst(5, 10));
        GatewayTestClient second = GatewayTestClient.zlib(sim.gateway().resumeUrl());
        try {
            second.next(10, null);
            second.resume("sim-token", sessionId, 2);
            JsonNode resumed = second.nextDispatch("RESUMED");
            assertEquals(13, resumed.get("s").asInt());
            List<Long> seqs = second.all.stream().filter(n -> n.path("op").asInt() == 0)
                    .map(n -> n.get("s").asLong()).toList();
            assertEquals(List.of(3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L), seqs);
        } finally {
            second.close(4000);
        }
    }
}
