package dev.shardgate.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.testkit.JavaProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Worker replicas as real JVMs that the test terminates, kills and replaces while events flow. */
@Tag("process")
class WorkerProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(90);

    private RecordingReplicas bed;

    @BeforeEach
    void setUp() throws Exception {
        bed = new RecordingReplicas();
    }

    @AfterEach
    void tearDown() {
        bed.close();
    }

    private JavaProcess startWorker(Map<String, String> extra) {
        return bed.start(extra);
    }

    /** Every "done" line of every replica. */
    private List<String> done() throws IOException {
        List<String> lines = new ArrayList<>();
        try (var files = Files.list(bed.records())) {
            for (Path f : files.toList()) {
                Files.readAllLines(f).stream().filter(l -> l.startsWith("done ")).map(l -> l.split(" ", -1)[1])
                        .forEach(lines::add);
            }
        }
        return lines;
    }

    @Test
    void rollingRedeployUnderSteadyLoadLosesNothingAndDuplicatesNothing() throws Exception {
        Map<String, String> env = Map.of("HANDLER_DELAY_MS", "20", "WORKER_MAX_IN_FLIGHT", "8");
        startWorker(env);
        startWorker(env);
        RecordingReplicas.Publisher publisher = bed.publishSteadily(4, Duration.ofMillis(10)); // at most 100/s

        for (int round = 0; round < 3; round++) {
            JavaProcess oldest = bed.processes().get(round);
            int before = done().size();
            await().atMost(WAIT).until(() -> done().size() > before + 50); // both replicas are busy
            int exit = oldest.terminate(60);
            assertNotEquals(-1, exit, "a SIGTERMed worker exits within its drain bound");
            startWorker(env);
        }
        await().atMost(WAIT).until(() -> done().size() > publisher.published() / 2);
        int total = publisher.stop();
        await().atMost(WAIT).until(() -> new HashSet<>(done()).size() == total);
        List<String> all = done();
        Set<String> distinct = new HashSet<>(all);
        System.out.printf("rolling redeploy: %d published, %d handled, %d distinct, %d duplicates%n",
                total, all.size(), distinct.size(), all.size() - distinct.size());
        assertEquals(total, distinct.size(), "every event handled");
        assertEquals(0, all.size() - distinct.size(), "no duplicates with SIGTERM");
    }

    @Test
    void sigkilledWorkersUnackedEventsGoToTheOtherReplica() throws Exception {
        Map<String, String> env = Map.of("HANDLER_DELAY_MS", "1500", "WORKER_MAX_IN_FLIGHT", "4",
                "WORKER_ACK_WAIT", "3s");
        JavaProcess victim = startWorker(env);
        Path victimFile = bed.file(0);
        await().atMost(WAIT).until(() -> victim.logText().contains("-> RUNNING"));
        for (int n = 0; n < 12; n++) {
            bed.stream().publish(n % 4, n, "MESSAGE_CREATE", EventStream.message("k" + n));
        }
        await().atMost(WAIT).until(() -> Files.exists(victimFile) && !RecordingReplicas.begunNotDone(victimFile).isEmpty());
        startWorker(env);
        victim.kill();
        Set<String> interrupted = RecordingReplicas.begunNotDone(victimFile);
        assertTrue(!interrupted.isEmpty());

        await().atMost(WAIT).until(() -> new HashSet<>(done()).size() == 12);
        List<String> survivor = Files.readAllLines(bed.file(1));
        for (String event : interrupted) {
            assertTrue(survivor.stream().anyMatch(l -> l.startsWith("done " + event + " ")),
                    event + " was redelivered to the surviving replica");
        }
    }
}
