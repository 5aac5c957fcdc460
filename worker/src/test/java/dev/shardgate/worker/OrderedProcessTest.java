package dev.shardgate.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.testkit.JavaProcess;
import dev.shardgate.testkit.NatsServerProcess;
import io.nats.client.JetStreamApiException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Ordered mode under faults, with worker replicas as real JVMs: under a steady load, one replica is SIGSTOPped past
 * its lease and the ack deadline, one is SIGKILLed, one joins and one leaves by SIGTERM. Every event is handled, each
 * shard's events are handled in seq order, and no two replicas ever ran events of one shard at once.
 */
class OrderedProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final int SHARDS = 6;
    /** Past the membership TTL (6 s) and the ack wait (2 s): another replica takes the shards and the event held. */
    private static final Duration FREEZE = Duration.ofSeconds(12);

    /** One handler run as a replica recorded it. */
    private record Run(String replica, int shard, long seq, long begin, long end) {
    }

    private NatsServerProcess nats;
    private EventStream stream;
    private Path records;
    private final List<JavaProcess> processes = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        nats = NatsServerProcess.start();
        stream = new EventStream(nats.url(), "discord");
        stream.create();
        records = Files.createTempDirectory("shardgate-ordered");
    }

    @AfterEach
    void tearDown() {
        processes.forEach(JavaProcess::close);
        stream.close();
        nats.close();
    }

    private JavaProcess startReplica() {
        Map<String, String> env = new HashMap<>(Map.of("NATS_URL", nats.url(), "WORKER_METRICS_PORT", "0",
                "RECORD_FILE", records.resolve("replica-" + processes.size() + ".log").toString(),
                "WORKER_ORDERED", "true", "SHARD_COUNT", Integer.toString(SHARDS), "WORKER_ACK_WAIT", "2s",
                "HANDLER_DELAY_MS", "150", "WORKER_DRAIN_TIMEOUT", "15s"));
        JavaProcess p = JavaProcess.start(RecordingWorker.class, env);
        processes.add(p);
        return p;
    }

    private List<Run> completedRuns() throws IOException {
        List<Run> runs = new ArrayList<>();
        try (var files = Files.list(records)) {
            for (Path f : files.toList()) {
                String replica = f.getFileName().toString();
                Map<String, Long> begun = new HashMap<>();
                for (String line : Files.readAllLines(f)) {
                    String[] words = line.split(" ");
                    if (words.length < 3) {
                        continue; // a line being written
                    }
                    long at = Long.parseLong(words[2].substring(1));
                    if (words[0].equals("begin")) {
                        begun.put(words[1], at);
                    } else if (words[0].equals("done")) {
                        String[] id = words[1].split(":");
                        runs.add(new Run(replica, Integer.parseInt(id[1]), Long.parseLong(id[2]), begun.get(words[1]), at));
                    }
                }
            }
        }
        return runs;
    }

    private Set<String> handledIds() throws IOException {
        Set<String> ids = new HashSet<>();
        for (Run r : completedRuns()) {
            ids.add(r.shard() + ":" + r.seq());
        }
        return ids;
    }

    private static Set<String> begunNotDone(Path file) throws IOException {
        Set<String> open = new HashSet<>();
        for (String line : Files.readAllLines(file)) {
            String[] words = line.split(" ");
            if (words[0].equals("begin")) {
                open.add(words[1]);
            } else if (words.length > 1) {
                open.remove(words[1]);
            }
        }
        return open;
    }

    @Test
    void replicasFrozenKilledJoiningAndLeavingNeverRunAShardTwiceAtOnceNorOutOfOrder() throws Exception {
        JavaProcess frozen = startReplica();
        JavaProcess killed = startReplica();
        JavaProcess leaving = startReplica();
        AtomicBoolean publishing = new AtomicBoolean(true);
        AtomicInteger published = new AtomicInteger();
        Thread publisher = Thread.ofVirtual().start(() -> {
            while (publishing.get()) {
                int n = published.get();
                try {
                    // seq n on shard n % SHARDS: every shard's seqs increase
                    stream.publish(n % SHARDS, n, "MESSAGE_CREATE", EventStream.message("o" + n));
                    published.incrementAndGet();
                } catch (IOException | JetStreamApiException e) {
                    System.out.println("retrying publish of event " + n + ": " + e); // its message id dedupes
                }
                try {
                    Thread.sleep(40); // about 25 events/s, 4 per shard: within what 150 ms handlers keep up with
                } catch (InterruptedException e) {
                    return;
                }
            }
        });

        Path frozenFile = records.resolve("replica-0.log");
        await().atMost(WAIT).until(() -> handledIds().size() > 40 && Files.exists(frozenFile));
        // freeze it in the middle of a handler, when possible: that is the run that must not overlap
        await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> !begunNotDone(frozenFile).isEmpty());
        frozen.signal("STOP");
        long frozenAt = System.nanoTime();
        int beforeFreeze = handledIds().size();
        await().atMost(WAIT).until(() -> handledIds().size() > beforeFreeze + 40); // the others took its shards
        long left = FREEZE.toNanos() - (System.nanoTime() - frozenAt);
        if (left > 0) {
            Thread.sleep(left / 1_000_000); // the freeze's length is the scenario: past the lease and the ack wait
        }
        frozen.signal("CONT");

        int afterThaw = handledIds().size();
        await().atMost(WAIT).until(() -> handledIds().size() > afterThaw + 40);
        killed.kill();
        startReplica();
        int afterKill = handledIds().size();
        await().atMost(WAIT).until(() -> handledIds().size() > afterKill + 40);
        assertNotEquals(-1, leaving.terminate(60), "a SIGTERMed replica leaves within its drain bound");
        int afterLeave = handledIds().size();
        await().atMost(WAIT).until(() -> handledIds().size() > afterLeave + 40);
        publishing.set(false);
        publisher.join();

        int total = published.get();
        await().atMost(WAIT).until(() -> handledIds().size() == total);
        assertTrue(frozen.logText().contains("rejoining"), "the frozen replica found its lease lost once thawed");

        List<Run> runs = completedRuns();
        Map<Integer, List<Run>> byShard = new HashMap<>();
        runs.forEach(r -> byShard.computeIfAbsent(r.shard(), s -> new ArrayList<>()).add(r));
        int redone = runs.size() - total;
        System.out.printf("ordered under faults: %d events, %d handler runs (%d again after a kill or freeze)%n",
                total, runs.size(), redone);
        for (var entry : byShard.entrySet()) {
            List<Run> shard = entry.getValue();
            shard.sort(Comparator.comparingLong(Run::begin).thenComparingLong(Run::end));
            for (int i = 1; i < shard.size(); i++) {
                Run before = shard.get(i - 1);
                Run after = shard.get(i);
                if (!before.replica().equals(after.replica())) {
                    assertTrue(before.end() <= after.begin(), "shard " + entry.getKey() + " ran on two replicas at once: "
                            + before + " and " + after);
                }
                assertTrue(before.seq() <= after.seq(), "shard " + entry.getKey() + " out of order: " + before + " then "
                        + after);
            }
        }
        assertEquals(total, handledIds().size(), "every event handled");
    }
}
