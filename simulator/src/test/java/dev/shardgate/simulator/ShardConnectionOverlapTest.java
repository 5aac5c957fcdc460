package dev.shardgate.simulator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.shardgate.simulator.gateway.SessionState;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Connections per shard: a connection counts for a shard from its valid Identify or Resume until the server sees
 * it closed, and the peak says whether two ever served one shard at once.
 */
@Tag("process")
class ShardConnectionOverlapTest {
    private static Simulator sim;

    @BeforeAll
    static void start() {
        // One bucket per shard, and each test uses its own shards.
        sim = Simulator.builder().shards(16).maxConcurrency(16).guildsPerShard(1).start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static String sessionOf(GatewayTestClient c, int shard) throws InterruptedException {
        String id = c.identifyReady("sim-token", shard, 16).get("d").get("session_id").asText();
        c.nextDispatch("GUILD_CREATE");
        return id;
    }

    @Test
    void aConnectionBelongsToNoShardUntilItIdentifies() throws Exception {
        GatewayTestClient c = GatewayTestClient.zlib(sim.gateway().url());
        try {
            c.next(10, null);
            c.sendJson("{\"op\":1,\"d\":null}");
            c.next(11, null);
            assertEquals(0, sim.gateway().openConnections(0));
            assertFalse(sim.gateway().peakConnections().containsKey(0));
            c.identify("sim-token", 0, 16, 513);
            c.nextDispatch("READY");
            assertEquals(1, sim.gateway().openConnections(0));
            assertEquals(1, sim.gateway().peakConnections(0));
        } finally {
            c.closeBlocking();
        }
        await().until(() -> sim.gateway().openConnections(0) == 0);
        assertEquals(1, sim.gateway().peakConnections(0), "a peak outlives the connections");
    }

    @Test
    void aRejectedIdentifyClaimsNoShard() throws Exception {
        GatewayTestClient c = GatewayTestClient.zlib(sim.gateway().url());
        c.next(10, null);
        c.identify("not-the-token", 1, 16, 513);
        assertEquals(4004, c.awaitClose());
        assertEquals(0, sim.gateway().peakConnections(1));
    }

    @Test
    void aSecondIdentifyForTheShardIsAnOverlapEvenIfPacingRefusesIt() throws Exception {
        GatewayTestClient first = GatewayTestClient.zlib(sim.gateway().url());
        GatewayTestClient second = GatewayTestClient.zlib(sim.gateway().url());
        try {
            sessionOf(first, 2);
            second.next(10, null);
            second.identify("sim-token", 2, 16, 513);
            // Within 5 s of the first this is op 9; on a machine slow enough to pass 5 s it is a READY. Either way
            // the shard had two connections.
            second.next();
            assertEquals(2, sim.gateway().openConnections(2));
            assertEquals(2, sim.gateway().peakConnections(2));
            second.closeBlocking();
            await().until(() -> sim.gateway().openConnections(2) == 1);
            assertEquals(2, sim.gateway().peakConnections(2));
        } finally {
            first.closeBlocking();
        }
    }

    @Test
    void aResumeThatTakesOverALiveConnectionIsAnOverlap() throws Exception {
        GatewayTestClient old = GatewayTestClient.zlib(sim.gateway().url());
        GatewayTestClient taker = GatewayTestClient.zlib(sim.gateway().resumeUrl());
        try {
            String session = sessionOf(old, 3);
            taker.next(10, null);
            taker.resume("sim-token", session, 2);
            taker.nextDispatch("RESUMED");
            assertEquals(4000, old.awaitClose(), "the simulator closes the connection the session left");
            await().until(() -> sim.gateway().openConnections(3) == 1);
            assertEquals(2, sim.gateway().peakConnections(3), "both were open until the old one closed");
        } finally {
            taker.closeBlocking();
        }
    }

    @Test
    void aHandOverThatWaitsForTheCloseKeepsThePeakAtOne() throws Exception {
        GatewayTestClient old = GatewayTestClient.zlib(sim.gateway().url());
        String session = sessionOf(old, 4);
        old.close(4000); // a code that keeps the session resumable
        old.awaitClose();
        await().until(() -> sim.gateway().openConnections(4) == 0
                && sim.gateway().liveSessions(4).getFirst().state() == SessionState.DISCONNECTED);
        GatewayTestClient next = GatewayTestClient.zlib(sim.gateway().url());
        try {
            next.next(10, null);
            next.resume("sim-token", session, 2);
            next.nextDispatch("RESUMED");
            assertEquals(1, sim.gateway().openConnections(4));
            assertEquals(1, sim.gateway().peakConnections(4));
        } finally {
            next.closeBlocking();
        }
    }

    @Test
    void aResetStartsANewPhaseFromWhatIsOpenNow() throws Exception {
        GatewayTestClient first = GatewayTestClient.zlib(sim.gateway().url());
        GatewayTestClient second = GatewayTestClient.zlib(sim.gateway().url());
        sessionOf(first, 5);
        second.next(10, null);
        second.identify("sim-token", 5, 16, 513);
        second.next();
        second.closeBlocking();
        await().until(() -> sim.gateway().openConnections(5) == 1);
        assertEquals(2, sim.gateway().peakConnections(5));

        sim.gateway().resetPeakConnections();
        assertEquals(1, sim.gateway().peakConnections(5), "the connection still open");
        first.closeBlocking();
        await().until(() -> sim.gateway().openConnections(5) == 0);
        sim.gateway().resetPeakConnections();
        assertEquals(0, sim.gateway().peakConnections(5));
        assertFalse(sim.gateway().peakConnections().containsKey(5), "shards without a peak are left out");
    }

    @Test
    void aConnectionThatIdentifiesForAnotherShardAfterOp9MovesThere() throws Exception {
        GatewayTestClient c = GatewayTestClient.zlib(sim.gateway().url());
        try {
            sessionOf(c, 6);
            sim.gateway().invalidSession(6, false);
            c.next(9, null);
            c.identify("sim-token", 7, 16, 513);
            c.nextDispatch("READY");
            Map<Integer, Integer> open = sim.gateway().openConnections();
            assertFalse(open.containsKey(6), open.toString());
            assertEquals(1, open.get(7));
            assertEquals(1, sim.gateway().peakConnections(6), "the peak stays with the shard it was reached on");
        } finally {
            c.closeBlocking();
        }
    }
}
