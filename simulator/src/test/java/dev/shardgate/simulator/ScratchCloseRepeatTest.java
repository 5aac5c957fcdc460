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
import org.junit.jupiter.api.Test;

class ScratchCloseRepeatTest {
    private static Simulator sim;

    @BeforeAll
    static void start() {
        sim = Simulator.builder().shards(8).maxConcurrency(8).guildsPerShard(1).resumeWindow(Duration.ofSeconds(2))
                .start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @org.junit.jupiter.api.RepeatedTest(40)
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
        GatewayTestClient second = GatewayTestClient.zlib(sim.gateway().resumeUrl());
        try {
            second.next(10, null);
            second.resume("sim-token", sessionId, 1);
            assertFalse(second.next(9, null).get("d").asBoolean());
        } finally {
            second.closeBlocking();
        }
    }

}
