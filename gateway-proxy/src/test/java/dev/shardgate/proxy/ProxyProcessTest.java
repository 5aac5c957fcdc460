package dev.shardgate.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardgate.protocol.CloseCode;
import dev.shardgate.proxy.ProxyProcesses.RunningProxy;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.ResumeRecord;
import dev.shardgate.simulator.gateway.SessionState;
import dev.shardgate.simulator.gateway.SessionView;
import dev.shardgate.testkit.NatsServerProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link ProxyMain} as a real child process (CONTRACT.md, SIGTERM): a SIGTERMed proxy leaves every session
 * resumable and the next one resumes; NATS being down at start keeps the process up and unready until NATS comes.
 * Several processes at once: {@link FleetProcessTest}. The simulator and nats-server run in the test JVM's reach.
 */
@Tag("process")
class ProxyProcessTest {
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final int SHARDS = 2;
    private NatsServerProcess nats;
    private Simulator sim;
    private ProxyProcesses fleet;

    @BeforeEach
    void setUp() {
        nats = NatsServerProcess.start();
        sim = Simulator.builder().token("sim-token").shards(SHARDS).maxConcurrency(SHARDS)
                .heartbeatInterval(Duration.ofSeconds(5)).start();
        fleet = new ProxyProcesses(nats, sim);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        fleet.close();
        sim.close();
        nats.close();
    }

    @Test
    void sigtermLeavesEverySessionResumableAndTheNextProxyResumesWithEveryEventStoredOnce() throws Exception {
        RunningProxy first = startProxy();
        first.awaitReady();
        for (int shard = 0; shard < SHARDS; shard++) {
            sim.gateway().burst(shard, 40);
        }
        awaitStreamHoldsLedger();
        Map<Integer, String> sessions = liveSessionIds();

        Map<Integer, Long> closesBefore = sim.gateway().closesReceived();
        long exitStarted = System.nanoTime();
        int exit = first.process().terminate(30);
        assertNotEquals(-1, exit, "the proxy did not exit within 30 s of SIGTERM:\n" + first.process().logText());
        assertTrue(Duration.ofNanos(System.nanoTime() - exitStarted).compareTo(Duration.ofSeconds(30)) < 0);
        assertTrue(first.process().logText().contains("handed over " + SHARDS + " session(s)"),
                first.process().logText());
        await().atMost(PATIENCE).until(() -> sim.gateway().connectionCount() == 0);
        for (int shard = 0; shard < SHARDS; shard++) {
            SessionView s = sim.gateway().sessions(shard).get(0);
            assertEquals(SessionState.DISCONNECTED, s.state(), "shard " + shard + "'s session must stay resumable");
        }
        assertEquals(0L, sim.gateway().transitions().getOrDefault("session ACTIVE->INVALIDATED", 0L));
        Map<Integer, Long> closesAtSigterm = new HashMap<>(sim.gateway().closesReceived());
        closesBefore.forEach((code, n) -> closesAtSigterm.merge(code, -n, Long::sum));
        closesAtSigterm.values().removeIf(n -> n == 0);
        assertEquals(Map.of(CloseCode.RESUMABLE_CLIENT_CLOSE, (long) SHARDS), closesAtSigterm,
                "one resumable close frame per shard at SIGTERM, never 1000/1001");

        // Discord keeps sending while no proxy runs; the resume must replay these.
        Map<Integer, Integer> sentWhileDown = new HashMap<>();
        for (int shard = 0; shard < SHARDS; shard++) {
            int before = sim.gateway().ledgerOfSession(sessions.get(shard)).size();
            sim.gateway().burst(shard, 25);
            sentWhileDown.put(shard, sim.gateway().ledgerOfSession(sessions.get(shard)).size() - before);
            assertTrue(sentWhileDown.get(shard) > 0);
        }
        RunningProxy second = startProxy();
        second.awaitReady();
        assertEquals(SHARDS, sim.gateway().identifies().size(), "the next proxy must resume, not identify");
        for (int shard = 0; shard < SHARDS; shard++) {
            int id = shard;
            ResumeRecord resume = sim.gateway().resumes().stream().filter(r -> r.shardId() == id).findFirst()
                    .orElseThrow(() -> new AssertionError("shard " + id + " did not resume"));
            assertEquals(sessions.get(shard), resume.sessionId());
            assertEquals(ResumeRecord.Outcome.RESUMED, resume.outcome());
            assertTrue(resume.replayed() >= sentWhileDown.get(shard), "replayed " + resume.replayed() + " of "
                    + sentWhileDown.get(shard));
        }
        for (JsonNode shard : second.shards()) {
            assertEquals(second.instanceId(), shard.get("owner").asText());
            assertEquals("RESUMED", shard.get("state").asText(), shard.toString());
            assertEquals(0, shard.get("identifies").asInt());
            assertEquals(1, shard.get("resumes").asInt());
        }
        awaitStreamHoldsLedger();
    }

    @Test
    void withNatsDownAtStartTheProcessStaysUpUnreadyAndConnectsWhenNatsComes() throws Exception {
        nats.stop();
        RunningProxy proxy = startProxy();
        await().atMost(PATIENCE).until(() -> proxy.process().logText().contains("cannot connect to NATS at"));
        assertEquals(200, proxy.get("/healthz").statusCode());
        assertEquals(503, proxy.get("/readyz").statusCode());
        assertTrue(proxy.process().isAlive());
        assertTrue(sim.gateway().identifies().isEmpty(), "no shard may start before its events have somewhere to go");

        nats.restart();
        proxy.awaitReady();
        sim.gateway().burst(0, 10);
        awaitStreamHoldsLedger();
    }

    private RunningProxy startProxy() {
        return fleet.start("proxy-" + System.nanoTime(), Map.of());
    }

    private Map<Integer, String> liveSessionIds() {
        Map<Integer, String> ids = new HashMap<>();
        for (int shard = 0; shard < SHARDS; shard++) {
            List<SessionView> live = sim.gateway().liveSessions(shard);
            assertEquals(1, live.size(), "shard " + shard + ": " + live);
            ids.put(shard, live.get(0).sessionId());
        }
        return ids;
    }

    private void awaitStreamHoldsLedger() throws IOException, InterruptedException {
        fleet.awaitStreamHoldsLedger();
    }
}
