package dev.shardgate.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.proxy.ProxyProcesses.RunningProxy;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.IdentifyRecord;
import dev.shardgate.simulator.gateway.ResumeRecord;
import dev.shardgate.testkit.NatsServerProcess;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Several gateway proxy processes of one bot sharing one NATS (CONTRACT.md, "Many proxy instances"): a rolling
 * update with surge under load, a SIGKILL under load, and instances with interleaved shard ranges started together.
 * Every proxy is a real child JVM; the simulator and a private nats-server run beside them.
 */
@Tag("process")
class FleetProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> FAST_LEASES = Map.of("LEASE_TTL", "3s", "CHECKPOINT_INTERVAL", "500ms");
    private NatsServerProcess nats;
    private Simulator sim;
    private ProxyProcesses fleet;

    private void start(Simulator.Builder simulator) {
        nats = NatsServerProcess.start();
        sim = simulator.token("sim-token").start();
        fleet = new ProxyProcesses(nats, sim);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        if (fleet != null) {
            fleet.close();
        }
        if (sim != null) {
            sim.close();
        }
        if (nats != null) {
            nats.close();
        }
    }

    @Test
    void aRollingUpdateWithSurgeUnderLoadNeverDoublesAShardNeverIdentifiesAndStoresEveryEventOnce() throws Exception {
        int shards = 4;
        start(Simulator.builder().shards(shards).maxConcurrency(shards).heartbeatInterval(Duration.ofSeconds(5))
                .replayCapacity(20_000));
        RunningProxy current = fleet.start("pod-a", FAST_LEASES);
        current.awaitServing(shards);
        sim.events().rate(20);
        for (String next : List.of("pod-b", "pod-c")) {
            RunningProxy surge = fleet.start(next, FAST_LEASES);
            String owner = current.instanceId();
            await().atMost(ProxyProcesses.PATIENCE).ignoreExceptions().untilAsserted(() -> {
                List<JsonNode> waiting = surge.shards();
                assertEquals(shards, waiting.size());
                for (JsonNode s : waiting) {
                    assertEquals("AWAITING_LEASE", s.get("state").asText(), s.toString());
                    assertEquals(owner, s.path("owner").asText(), s.toString());
                }
            });
            surge.awaitReady(); // a surge pod whose shards are served elsewhere is ready, or a rollout would stall
            long handOverStarted = System.nanoTime();
            assertNotEquals(-1, current.process().terminate(30), current.process().logText());
            surge.awaitServing(shards);
            Duration handOver = Duration.ofNanos(System.nanoTime() - handOverStarted);
            System.out.printf("rolling update %s -> %s: every shard served again %d ms after SIGTERM%n", owner, next,
                    handOver.toMillis());
            current = surge;
        }
        double events = current.metric("shardgate_events_total");
        double writes = current.metric("shardgate_checkpoint_writes_total");
        System.out.printf("checkpoints: %.0f writes for %.0f events (%.3f per event, CHECKPOINT_INTERVAL 500 ms)%n",
                writes, events, writes / events);
        assertTrue(writes > 0 && writes < events, "checkpoint writes are bounded by the interval, not the events");
        sim.events().rate(0);
        assertEquals(shards, sim.gateway().identifies().size(), "only the first pod identifies");
        assertTrue(sim.gateway().resumes().stream().allMatch(r -> r.outcome() == ResumeRecord.Outcome.RESUMED),
                sim.gateway().resumes().toString());
        assertEquals(2 * shards, sim.gateway().resumes().size(), "every shard resumed at each hand-over");
        for (int shard = 0; shard < shards; shard++) {
            assertEquals(1, sim.gateway().peakConnections(shard), "shard " + shard + " had two connections at once");
        }
        fleet.awaitStreamHoldsLedger();
    }

    @Test
    void afterASigkillUnderLoadTheNextInstanceResumesEveryShardFromItsCheckpoint() throws Exception {
        int shards = 4;
        start(Simulator.builder().shards(shards).maxConcurrency(shards).heartbeatInterval(Duration.ofSeconds(5))
                .replayCapacity(20_000));
        RunningProxy first = fleet.start("pod-a", FAST_LEASES);
        first.awaitServing(shards);
        sim.events().rate(20);
        await().atMost(ProxyProcesses.PATIENCE).until(() -> sim.gateway().ledger().size() > 200);
        first.process().kill();
        Instant killedAt = Instant.now();
        RunningProxy second = fleet.start("pod-b", FAST_LEASES);
        second.awaitServing(shards);
        System.out.printf("SIGKILL: every shard served again %d ms after the kill (lease TTL 3 s)%n",
                Duration.between(killedAt, Instant.now()).toMillis());
        sim.events().rate(0);
        assertEquals(shards, sim.gateway().identifies().size(), "the successor must resume, not identify");
        for (int shard = 0; shard < shards; shard++) {
            int id = shard;
            ResumeRecord resume = sim.gateway().resumes().stream().filter(r -> r.shardId() == id).findFirst()
                    .orElseThrow(() -> new AssertionError("shard " + id + " did not resume"));
            assertEquals(ResumeRecord.Outcome.RESUMED, resume.outcome());
            assertEquals(1, sim.gateway().peakConnections(shard));
        }
        for (JsonNode s : second.shards()) {
            assertEquals("RESUMED", s.get("state").asText());
            assertEquals("pod-b", s.get("owner").asText());
        }
        fleet.awaitStreamHoldsLedger();
    }

    @Test
    void natsDownThirtySecondsUnder1600EventsPerSecondCostsNoIdentifyAndNoEvent() throws Exception {
        int shards = 4;
        start(Simulator.builder().shards(shards).maxConcurrency(shards).heartbeatInterval(Duration.ofSeconds(5))
                .replayCapacity(40_000).ledgerCapacity(400_000));
        // A publish buffer far smaller than 30 s of events: the outage outlasts it, and the lease (3 s) too.
        Map<String, String> env = new java.util.HashMap<>(FAST_LEASES);
        env.put("PUBLISH_BUFFER", "5000");
        RunningProxy proxy = fleet.start("pod-a", env);
        proxy.awaitServing(shards);
        sim.events().rate(400);
        await().atMost(ProxyProcesses.PATIENCE).until(() -> sim.gateway().ledger().size() > 8_000);
        nats.stop();
        Instant down = Instant.now();
        await().atMost(Duration.ofSeconds(20)).until(() -> sim.gateway().connectionCount() == 0);
        System.out.printf("NATS down: every shard disconnected %d ms later (lease TTL 3 s)%n",
                Duration.between(down, Instant.now()).toMillis());
        Thread.sleep(Math.max(0, 30_000 - Duration.between(down, Instant.now()).toMillis())); // the outage itself
        nats.restart();
        proxy.awaitServing(shards);
        sim.events().rate(0);
        System.out.printf("NATS outage: %d dispatches in the ledger, %d resumes%n", sim.gateway().ledger().size(),
                sim.gateway().resumes().size());
        assertEquals(shards, sim.gateway().identifies().size(), "an outage must cost no identify");
        assertTrue(sim.gateway().resumes().stream().allMatch(r -> r.outcome() == ResumeRecord.Outcome.RESUMED),
                sim.gateway().resumes().toString());
        fleet.awaitStreamHoldsLedger();
    }

    @Test
    void instancesWithInterleavedRangesStartedTogetherKeepEveryBucketsFiveSecondsBetweenThem() throws Exception {
        start(Simulator.builder().shards(8).maxConcurrency(2).heartbeatInterval(Duration.ofSeconds(5)));
        RunningProxy a = fleet.start("pod-a", Map.of("SHARD_IDS", "0,1,4,5"));
        RunningProxy b = fleet.start("pod-b", Map.of("SHARD_IDS", "2,3,6,7"));
        a.awaitServing(4);
        b.awaitServing(4);
        List<IdentifyRecord> identifies = sim.gateway().identifies();
        assertEquals(8, identifies.size(), identifies.toString());
        assertTrue(identifies.stream().allMatch(r -> r.outcome() == IdentifyRecord.Outcome.ACCEPTED),
                "an identify was refused: " + identifies);
        Map<Integer, List<Instant>> byBucket = new TreeMap<>();
        identifies.forEach(r -> byBucket.computeIfAbsent(r.bucket(), k -> new ArrayList<>()).add(r.at()));
        for (Map.Entry<Integer, List<Instant>> e : byBucket.entrySet()) {
            List<Instant> times = e.getValue().stream().sorted().toList();
            for (int i = 1; i < times.size(); i++) {
                Duration gap = Duration.between(times.get(i - 1), times.get(i));
                assertTrue(gap.compareTo(Duration.ofSeconds(5)) >= 0, "bucket " + e.getKey() + ": two identifies "
                        + gap.toMillis() + " ms apart: " + times);
            }
        }
        assertEquals(1000 - 8, sim.gateway().sessionStartRemaining(), "one session start per shard, bot-wide");

        try (Connection client = Nats.connect(nats.url())) {
            JsonNode info = JSON.readTree(client.request("discord.gateway.info", new byte[0], Duration.ofSeconds(5))
                    .getData());
            assertEquals(8, info.get("shards").size(), "gateway.info answers for the whole bot: " + info);
            for (JsonNode s : info.get("shards")) {
                String expected = List.of(0, 1, 4, 5).contains(s.get("id").asInt()) ? "pod-a" : "pod-b";
                assertEquals(expected, s.path("owner").asText(), info.toString());
                assertEquals("READY", s.get("state").asText(), info.toString());
            }
        }
    }
}
