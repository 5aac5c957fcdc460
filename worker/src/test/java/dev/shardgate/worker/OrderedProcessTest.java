package dev.shardgate.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.protocol.Subjects;
import dev.shardgate.testkit.JavaProcess;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Ordered mode under faults, with worker replicas as real JVMs: under a steady load, one replica is SIGSTOPped past
 * its lease and the ack deadline, one is SIGKILLed, one joins and one leaves by SIGTERM. Every event is handled, each
 * shard's events are handled in seq order, and no two replicas ever ran events of one shard at once.
 */
@Tag("process")
class OrderedProcessTest {
    private static final Duration WAIT = Duration.ofMinutes(2);
    private static final int SHARDS = 6;
    /** Past the membership TTL (6 s) and the ack wait (2 s): another replica takes the shards and the event held. */
    private static final Duration FREEZE = Duration.ofSeconds(12);

    /** One handler run as a replica recorded it. */
    private record Run(String replica, int shard, long seq, long begin, long end) {
    }

    /** The test's replicas, publisher and records; set for the test's duration. */
    private RecordingReplicas bed;

    private JavaProcess startReplica() {
        return bed.start(Map.of("WORKER_ORDERED", "true", "SHARD_COUNT", Integer.toString(SHARDS),
                "WORKER_ACK_WAIT", "2s", "HANDLER_DELAY_MS", "150", "WORKER_DRAIN_TIMEOUT", "15s"));
    }

    private List<Run> completedRuns() throws IOException {
        List<Run> runs = new ArrayList<>();
        try (var files = Files.list(bed.records())) {
            for (Path f : files.toList()) {
                String replica = f.getFileName().toString();
                Map<String, Long> begun = new HashMap<>();
                for (String line : Files.readAllLines(f)) {
                    String[] words = line.split(" ", -1);
                    if (words.length < 3) {
                        continue; // a line being written
                    }
                    long at = Long.parseLong(words[2].substring(1));
                    if (words[0].equals("begin")) {
                        begun.put(words[1], at);
                    } else if (words[0].equals("done")) {
                        String[] id = words[1].split(":", -1);
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

    /** What the test saw when not every event was handled: the missing ids, the consumers, claims and logs. */
    private String diagnosis(int total) throws Exception {
        StringBuilder out = new StringBuilder("not every event handled; missing (shard:seq):");
        Set<String> handled = handledIds();
        for (int n = 0; n < total; n++) {
            String id = (n % SHARDS) + ":" + n;
            if (!handled.contains(id)) {
                out.append(' ').append(id);
            }
        }
        var connection = bed.stream().connection();
        var management = connection.jetStreamManagement();
        for (int shard = 0; shard < SHARDS; shard++) {
            try {
                var info = management.getConsumerInfo(Subjects.DEFAULT_STREAM, "workers-shard-" + shard);
                out.append("\nconsumer shard ").append(shard).append(": pending ").append(info.getNumPending())
                        .append(", ack pending ").append(info.getNumAckPending()).append(", redelivered ")
                        .append(info.getRedelivered()).append(", waiting pulls ").append(info.getNumWaiting())
                        .append(", delivered ").append(info.getDelivered()).append(", ack floor ")
                        .append(info.getAckFloor());
            } catch (JetStreamApiException e) {
                out.append("\nconsumer shard ").append(shard).append(": ").append(e.getMessage());
            }
        }
        for (String bucket : connection.keyValueManagement().getBucketNames()) {
            var kv = connection.keyValue(bucket);
            for (String key : kv.keys()) {
                var entry = kv.get(key);
                out.append("\nkv ").append(bucket).append(' ').append(key).append(" = ")
                        .append(entry == null ? "-" : entry.getValueAsString());
            }
        }
        try {
            var dead = management.getStreamInfo(WorkerConfig.DEFAULT_DEAD_LETTER_STREAM);
            out.append("\ndead-lettered: ").append(dead.getStreamState().getMsgCount());
        } catch (JetStreamApiException e) {
            out.append("\nno dead letters (").append(e.getMessage()).append(')');
        }
        List<JavaProcess> processes = bed.processes();
        for (int i = 0; i < processes.size(); i++) {
            out.append("\n--- replica ").append(i).append(" log:\n");
            for (String line : processes.get(i).logText().split("\n", -1)) {
                if (!line.contains(" DEBUG ")) {
                    out.append(line).append('\n');
                }
            }
        }
        return out.toString();
    }

    @Test
    void replicasFrozenKilledJoiningAndLeavingNeverRunAShardTwiceAtOnceNorOutOfOrder() throws Exception {
        try (RecordingReplicas replicas = new RecordingReplicas()) {
            bed = replicas;
            try {
                runScenario();
            } catch (ConditionTimeoutException | AssertionError e) {
                System.out.println(diagnosis(bed.publisher().published()));
                throw e;
            }
        }
    }

    private void runScenario() throws Exception {
        List<JavaProcess> started = List.of(startReplica(), startReplica(), startReplica());
        // about 25 events/s, 4 per shard: within what 150 ms handlers keep up with
        RecordingReplicas.Publisher publisher = bed.publishSteadily(SHARDS, Duration.ofMillis(40));

        await().atMost(WAIT).until(() -> handledIds().size() > 40);
        // The replica frozen is one caught in the middle of a handler: that is the run that must not overlap.
        // Rendezvous hashing may leave one of three replicas without any of six shards (their ids are random), so
        // which one that is is found, not fixed; the other two are killed and leave.
        AtomicInteger frozenIndex = new AtomicInteger();
        await().atMost(WAIT).pollInterval(Duration.ofMillis(5)).until(() -> {
            for (int i = 0; i < started.size(); i++) {
                if (Files.exists(bed.file(i)) && !RecordingReplicas.begunNotDone(bed.file(i)).isEmpty()) {
                    frozenIndex.set(i);
                    return true;
                }
            }
            return false;
        });
        JavaProcess frozen = started.get(frozenIndex.get());
        List<JavaProcess> others = started.stream().filter(p -> p != frozen).toList();
        JavaProcess killed = others.get(0);
        JavaProcess leaving = others.get(1);
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
        int total = publisher.stop();
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
                    assertTrue(before.end() <= after.begin(), "shard " + entry.getKey()
                            + " ran on two replicas at once: " + before + " and " + after);
                }
                assertTrue(before.seq() <= after.seq(), "shard " + entry.getKey() + " out of order: " + before
                        + " then " + after);
            }
        }
        assertEquals(total, handledIds().size(), "every event handled");
    }
}
