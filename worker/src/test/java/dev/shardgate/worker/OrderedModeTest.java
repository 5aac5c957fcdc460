package dev.shardgate.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.testkit.NatsServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Ordered mode: each shard's events in sequence order, shards split over replicas and rebalanced. */
@Tag("process")
class OrderedModeTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int SHARDS = 8;

    private NatsServerProcess nats;
    private EventStream stream;
    private final List<Worker> workers = new ArrayList<>();
    /** shard -> the seqs in the order they were handled, by any replica. */
    private final Map<Integer, List<Long>> handled = new ConcurrentHashMap<>();
    /** replica -> the shards it handled. */
    private final Map<Integer, Set<Integer>> shardsByReplica = new ConcurrentHashMap<>();

    @BeforeEach
    void setUp() throws Exception {
        nats = NatsServerProcess.start();
        stream = new EventStream(nats.url(), "discord");
        stream.create();
    }

    @AfterEach
    void tearDown() throws Exception {
        workers.forEach(Worker::drain);
        stream.close();
        nats.close();
    }

    private Worker startReplica() throws Exception {
        int replica = workers.size();
        Map<String, String> env = new HashMap<>(Map.of("NATS_URL", nats.url(), "WORKER_METRICS_PORT", "0",
                "WORKER_ORDERED", "true", "SHARD_COUNT", Integer.toString(SHARDS), "WORKER_DRAIN_TIMEOUT", "10s"));
        Worker worker = Worker.builder(WorkerConfig.from(env)).on("MESSAGE_CREATE", e -> {
            Thread.sleep(ThreadLocalRandom.current().nextInt(3)); // uneven handler times would expose reordering
            handled.computeIfAbsent(e.shard(), s -> new CopyOnWriteArrayList<>()).add(e.seq());
            shardsByReplica.computeIfAbsent(replica, r -> ConcurrentHashMap.newKeySet()).add(e.shard());
        }).build();
        workers.add(worker);
        worker.start();
        return worker;
    }

    private void publish(int fromSeq, int toSeq) throws Exception {
        for (int seq = fromSeq; seq < toSeq; seq++) {
            for (int shard = 0; shard < SHARDS; shard++) {
                stream.publish(shard, seq, "MESSAGE_CREATE", EventStream.message("s" + shard + "-" + seq));
            }
        }
    }

    private boolean allHandled(int count) {
        return handled.size() == SHARDS && handled.values().stream().allMatch(l -> l.size() >= count);
    }

    @Test
    void eachShardIsHandledInOrderAcrossReplicasAndRebalances() throws Exception {
        Worker first = startReplica();
        startReplica();
        // Settled: the shards are split, and the first replica's last pulls on the shards it gave up have ended
        // (a pull already sent may still bring it one event: order holds, but the split would not be clean).
        // (The split is rendezvous hashing over random replica ids: usually 4 and 4, rarely all on one side.)
        await().atMost(WAIT).until(() -> owned(workers.get(0)) + owned(workers.get(1)) == SHARDS
                && releasing(workers.get(0)) == 0 && releasing(workers.get(1)) == 0);
        publish(1, 51);
        await().atMost(WAIT).until(() -> allHandled(50));
        for (int replica = 0; replica < 2; replica++) {
            assertEquals(owned(workers.get(replica)), shardsByReplica.getOrDefault(replica, Set.of()).size(),
                    "replica " + replica + " handled exactly the shards it holds");
        }
        assertFalse(shardsByReplica.getOrDefault(0, Set.of()).stream()
                .anyMatch(shardsByReplica.getOrDefault(1, Set.of())::contains));

        first.drain(); // leaves the group: the other replica takes every shard
        await().atMost(WAIT).until(() -> owned(workers.get(1)) == SHARDS);
        publish(51, 101);
        await().atMost(WAIT).until(() -> allHandled(100));

        for (var entry : handled.entrySet()) {
            List<Long> seqs = entry.getValue();
            for (int i = 1; i < seqs.size(); i++) {
                assertTrue(seqs.get(i - 1) < seqs.get(i), "shard " + entry.getKey() + " out of order: " + seqs);
            }
            assertEquals(100, seqs.size(), "shard " + entry.getKey() + " handled each event once");
        }
    }

    @Test
    void anErrorThrownByAHandlerLeavesItsShardRunningAndSeqGoingBackwardsIsCounted() throws Exception {
        List<Long> seqs = new CopyOnWriteArrayList<>();
        Map<String, String> env = new HashMap<>(Map.of("NATS_URL", nats.url(), "WORKER_METRICS_PORT", "0",
                "WORKER_ORDERED", "true", "SHARD_COUNT", "1", "WORKER_RETRY_BACKOFF", "100ms"));
        Worker worker = Worker.builder(WorkerConfig.from(env)).on("MESSAGE_CREATE", e -> {
            if (e.text().contains("boom") && e.deliveries() == 1) {
                throw new StackOverflowError("boom"); // an Error, not an Exception
            }
            seqs.add(e.seq());
        }).build();
        workers.add(worker);
        worker.start();
        stream.publish(0, 1, "MESSAGE_CREATE", EventStream.message("boom"));
        stream.publish(0, 2, "MESSAGE_CREATE", EventStream.message("after"));
        stream.publish(0, 10, "MESSAGE_CREATE", EventStream.message("ten"));
        stream.publish(0, 5, "MESSAGE_CREATE", EventStream.message("stored late")); // same session, lower seq

        await().atMost(WAIT).until(() -> seqs.size() == 4);
        assertEquals(List.of(1L, 2L, 10L, 5L), seqs, "the failed event retried first, then the rest in stream order");
        assertEquals(1, worker.registry().get("shardgate.worker.seq.regressions").counter().count());
        assertEquals(1, owned(worker));
    }

    private static int releasing(Worker worker) {
        return (int) worker.registry().get("shardgate.worker.releasing.shards").gauge().value();
    }

    private static int owned(Worker worker) {
        return (int) worker.registry().get("shardgate.worker.owned.shards").gauge().value();
    }
}
