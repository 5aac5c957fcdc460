package dev.shardgate.simulator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardgate.simulator.gateway.SessionState;
import dev.shardgate.simulator.gateway.SessionView;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Each fault the simulator can inject, seen from a plain client; plus the server-side limits that close. */
@Tag("process")
class FaultInjectionTest {
    private static Simulator sim;

    @BeforeAll
    static void start() {
        // Each test uses its own shard, and 32 buckets let them all identify at once. The clients here do not
        // heartbeat on their own, so the heartbeat timeout must be far longer than any test (the default 41.25 s):
        // a short one would close them 4009 in the middle of a test on a slow machine.
        sim = Simulator.builder().shards(32).maxConcurrency(32).guildsPerShard(1).start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    /** A client on {@code shard} that has read READY and its GUILD_CREATE. */
    private static GatewayTestClient ready(int shard) throws InterruptedException {
        GatewayTestClient c = GatewayTestClient.zlib(sim.gateway().url());
        c.identifyReady("sim-token", shard, 32);
        c.nextDispatch("GUILD_CREATE");
        return c;
    }

    private static SessionView session(int shard) {
        return sim.gateway().sessions(shard).getFirst();
    }

    @Test
    void zombieStopsAckingHeartbeatsAndHealResumesThem() throws Exception {
        GatewayTestClient c = ready(0);
        try {
            assertEquals(1, sim.gateway().zombie(0));
            long beats = heartbeatsReceived(0);
            c.sendJson("{\"op\":1,\"d\":2}");
            // Dispatch only after the simulator has read the heartbeat, so a wrong ACK would come before it.
            await().atMost(GatewayTestClient.WAIT).until(() -> heartbeatsReceived(0) == beats + 1);
            sim.gateway().dispatch(0, "MESSAGE_CREATE", "{\"marker\":1}");
            JsonNode next = c.next();
            assertEquals("MESSAGE_CREATE", next.get("t").asText(), "no ACK came before the dispatch");
            sim.gateway().heal(0);
            c.sendJson("{\"op\":1,\"d\":3}");
            assertEquals(11, c.next().get("op").asInt());
        } finally {
            c.close(4000);
        }
    }

    @Test
    void dropClosesWithoutACloseFrameAndKeepsTheSession() throws Exception {
        GatewayTestClient c = ready(1);
        sim.gateway().dropConnection(1);
        assertEquals(1006, c.awaitClose());
        await().until(() -> session(1).state() == SessionState.DISCONNECTED);
    }

    @Test
    void closeWithAResumableCodeKeepsTheSessionAndAFatalOneEndsIt() throws Exception {
        GatewayTestClient c = ready(2);
        long before = sim.gateway().closesSent(4000);
        sim.gateway().close(2, 4000);
        assertEquals(4000, c.awaitClose());
        assertEquals(before + 1, sim.gateway().closesSent(4000));
        await().until(() -> session(2).state() == SessionState.DISCONNECTED);

        GatewayTestClient d = ready(3);
        sim.gateway().close(3, 4009);
        assertEquals(4009, d.awaitClose());
        assertEquals(SessionState.INVALIDATED, session(3).state());
    }

    @Test
    void garbageFrameIsNotJson() throws Exception {
        GatewayTestClient c = ready(4);
        try {
            sim.gateway().sendGarbage(4);
            await().until(() -> c.decodeErrors.stream().anyMatch(e -> e.startsWith("json:")));
        } finally {
            c.close(4000);
        }
    }

    @Test
    void corruptZlibBreaksTheInflater() throws Exception {
        GatewayTestClient c = ready(5);
        try {
            sim.gateway().corruptZlib(5);
            await().until(() -> c.decodeErrors.stream().anyMatch(e -> e.startsWith("zlib:")));
        } finally {
            c.close(4000);
        }
    }

    @Test
    void reconnectSendsOp7AndDropsAClientThatStays() throws Exception {
        GatewayTestClient c = ready(6);
        sim.gateway().reconnect(6);
        assertEquals(7, c.next(7, null).get("op").asInt());
        // The client keeps heartbeating but ignores op 7: the server drops it after its grace period.
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            if (c.isOpen()) {
                c.sendJson("{\"op\":1,\"d\":2}");
            }
            return c.closeCode != -1;
        });
        assertEquals(1006, c.closeCode);
        assertEquals(SessionState.DISCONNECTED, session(6).state());
    }

    @Test
    void invalidSessionResumableThenResumeOnTheSameSocket() throws Exception {
        GatewayTestClient c = ready(7);
        try {
            String sessionId = session(7).sessionId();
            sim.gateway().invalidSession(7, true);
            assertTrue(c.next(9, null).get("d").asBoolean());
            c.resume("sim-token", sessionId, 2);
            assertEquals(3, c.nextDispatch("RESUMED").get("s").asInt());
        } finally {
            c.close(4000);
        }
    }

    @Test
    void invalidSessionFalseEndsTheSession() throws Exception {
        GatewayTestClient c = ready(8);
        try {
            sim.gateway().invalidSession(8, false);
            assertFalse(c.next(9, null).get("d").asBoolean());
            assertEquals(SessionState.INVALIDATED, session(8).state());
        } finally {
            c.closeBlocking();
        }
    }

    @Test
    void invalidatedSessionCannotBeResumed() throws Exception {
        GatewayTestClient c = ready(9);
        String sessionId = session(9).sessionId();
        assertEquals(1, sim.gateway().invalidateSession(9));
        sim.gateway().dropConnection(9);
        c.awaitClose();
        GatewayTestClient again = GatewayTestClient.zlib(sim.gateway().resumeUrl());
        try {
            again.next(10, null);
            again.resume("sim-token", sessionId, 2);
            assertFalse(again.next(9, null).get("d").asBoolean());
        } finally {
            again.closeBlocking();
        }
    }

    @Test
    void stallSendsNothingButQueuesForReplay() throws Exception {
        GatewayTestClient c = ready(10);
        try {
            sim.gateway().stall(10);
            sim.gateway().dispatch(10, "MESSAGE_CREATE", "{\"n\":1}");
            long beats = heartbeatsReceived(10);
            c.sendJson("{\"op\":1,\"d\":2}");
            // The ACK must be due while stalled: heal only after the simulator has read the heartbeat.
            await().atMost(GatewayTestClient.WAIT).until(() -> heartbeatsReceived(10) == beats + 1);
            sim.gateway().requestHeartbeat(10);
            int seen = c.all.size();
            sim.gateway().heal(10);
            sim.gateway().dispatch(10, "MESSAGE_CREATE", "{\"n\":2}");
            JsonNode next = c.next();
            assertEquals(4, next.get("s").asInt(), "the stalled dispatch (seq 3) was never written");
            assertEquals(seen + 1, c.all.size());
            assertEquals(4, session(10).seq());
        } finally {
            c.close(4000);
        }
    }

    @Test
    void requestHeartbeatSendsOp1() throws Exception {
        GatewayTestClient c = ready(11);
        try {
            sim.gateway().requestHeartbeat(11);
            assertEquals(1, c.next(1, null).get("op").asInt());
        } finally {
            c.close(4000);
        }
    }

    @Test
    void aClientThatStopsHeartbeatingIsClosed4009() throws Exception {
        // Its own simulator with a short heartbeat timeout (3 s): long enough for Hello -> Identify on a slow
        // machine, short enough to keep the test quick.
        try (Simulator quick = Simulator.builder().shards(1).guildsPerShard(1)
                .heartbeatInterval(Duration.ofSeconds(2)).start()) {
            GatewayTestClient c = GatewayTestClient.zlib(quick.gateway().url());
            c.identifyReady("sim-token", 0, 1);
            assertEquals(4009, c.awaitClose());
            assertEquals(1, quick.gateway().closesSent(4009));
            assertEquals(SessionState.INVALIDATED, quick.gateway().sessions(0).getFirst().state());
        }
    }

    @Test
    void the121stPayloadInAMinuteCloses4008() throws Exception {
        GatewayTestClient c = GatewayTestClient.zlib(sim.gateway().url());
        c.next(10, null);
        for (int i = 0; i < 120; i++) {
            c.sendJson("{\"op\":1,\"d\":null}");
        }
        await().atMost(GatewayTestClient.WAIT)
                .until(() -> c.all.stream().filter(n -> n.path("op").asInt() == 11).count() == 120);
        assertTrue(c.isOpen(), "120 payloads are allowed");
        c.sendJson("{\"op\":1,\"d\":null}");
        assertEquals(4008, c.awaitClose());
    }

    private static long heartbeatsReceived(int shard) {
        return sim.gateway().commands(shard).stream().filter(c -> c.op() == 1).count();
    }
}
