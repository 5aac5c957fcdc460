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

/** Worker replicas as real JVMs that the test terminates, kills and replaces while events flow. */
class WorkerProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(90);

    private NatsServerProcess nats;
    private EventStream stream;
    private Path records;
    private final List<JavaProcess> processes = new ArrayList<>();
    private int replicas;

    @BeforeEach
    void setUp() throws Exception {
        nats = NatsServerProcess.start();
        stream = new EventStream(nats.url(), "discord");
        stream.create();
        records = Files.createTempDirectory("shardgate-records");
    }

    @AfterEach
    void tearDown() throws Exception {
        processes.forEach(JavaProcess::close);
        stream.close();
        nats.close();
    }

    private JavaProcess startWorker(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of("NATS_URL", nats.url(), "WORKER_METRICS_PORT", "0",
                "RECORD_FILE", records.resolve("replica-" + replicas++ + ".log").toString()));
        env.putAll(extra);
        JavaProcess p = JavaProcess.start(RecordingWorker.class, env);
        processes.add(p);
        return p;
    }

    /** Every "done" line of every replica. */
    private List<String> done() throws IOException {
        List<String> lines = new ArrayList<>();
        try (var files = Files.list(records)) {
            for (Path f : files.toList()) {
                Files.readAllLines(f).stream().filter(l -> l.startsWith("done ")).map(l -> l.split(" ")[1])
                        .forEach(lines::add);
            }
        }
        return lines;
    }

    private static Set<String> begunNotDone(Path file) throws IOException {
        Set<String> open = new HashSet<>();
        for (String line : Files.readAllLines(file)) {
            String[] words = line.split(" ");
            if (words[0].equals("begin")) {
                open.add(words[1]);
            } else if (words[0].equals("done")) {
                open.remove(words[1]);
            }
        }
        return open;
    }

    @Test
    void rollingRedeployUnderSteadyLoadLosesNothingAndDuplicatesNothing() throws Exception {
        Map<String, String> env = Map.of("HANDLER_DELAY_MS", "20", "WORKER_MAX_IN_FLIGHT", "8");
        startWorker(env);
        startWorker(env);
        AtomicBoolean publishing = new AtomicBoolean(true);
        AtomicInteger published = new AtomicInteger();
        Thread publisher = Thread.ofVirtual().start(() -> {
            while (publishing.get()) {
                int n = published.get();
                try {
                    stream.publish(n % 4, n, "MESSAGE_CREATE", EventStream.message("e" + n));
                    published.incrementAndGet();
                } catch (IOException | JetStreamApiException e) {
                    // A publish can time out on a busy machine; dying here would starve the rounds below. Retry
                    // the same event: its message id makes a retry of a publish that did land a no-op.
                    System.out.println("retrying publish of event " + n + ": " + e);
                }
                try {
                    Thread.sleep(10); // a steady rate, at most 100 events/s
                } catch (InterruptedException e) {
                    return;
                }
            }
        });

        for (int round = 0; round < 3; round++) {
            JavaProcess oldest = processes.get(round);
            int before = done().size();
            await().atMost(WAIT).until(() -> done().size() > before + 50); // both replicas are busy
            int exit = oldest.terminate(60);
            assertNotEquals(-1, exit, "a SIGTERMed worker exits within its drain bound");
            startWorker(env);
        }
        await().atMost(WAIT).until(() -> done().size() > published.get() / 2);
        publishing.set(false);
        publisher.join();

        int total = published.get();
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
        Path victimFile = records.resolve("replica-0.log");
        await().atMost(WAIT).until(() -> victim.logText().contains("-> RUNNING"));
        for (int n = 0; n < 12; n++) {
            stream.publish(n % 4, n, "MESSAGE_CREATE", EventStream.message("k" + n));
        }
        await().atMost(WAIT).until(() -> Files.exists(victimFile) && !begunNotDone(victimFile).isEmpty());
        startWorker(env);
        victim.kill();
        Set<String> interrupted = begunNotDone(victimFile);
        assertTrue(!interrupted.isEmpty());

        await().atMost(WAIT).until(() -> new HashSet<>(done()).size() == 12);
        List<String> survivor = Files.readAllLines(records.resolve("replica-1.log"));
        for (String event : interrupted) {
            assertTrue(survivor.stream().anyMatch(l -> l.startsWith("done " + event + " ")),
                    event + " was redelivered to the surviving replica");
        }
    }
}
