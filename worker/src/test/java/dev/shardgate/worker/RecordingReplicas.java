package dev.shardgate.worker;

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

/**
 * The bed of the process tests: a nats-server of their own with the event stream, {@link RecordingWorker} JVMs
 * that write {@code replica-<n>.log} into one folder, and a steady publisher. Closing it kills what is left.
 */
final class RecordingReplicas implements AutoCloseable {
    private final NatsServerProcess nats;
    private final EventStream stream;
    private final Path records;
    private final List<JavaProcess> processes = new ArrayList<>();
    private Publisher publisher;

    RecordingReplicas() throws Exception {
        nats = NatsServerProcess.start();
        stream = new EventStream(nats.url(), "discord");
        stream.create();
        records = Files.createTempDirectory("shardgate-records");
    }

    EventStream stream() {
        return stream;
    }

    Path records() {
        return records;
    }

    /** The record file of the {@code n}-th replica started. */
    Path file(int n) {
        return records.resolve("replica-" + n + ".log");
    }

    List<JavaProcess> processes() {
        return processes;
    }

    JavaProcess start(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of("NATS_URL", nats.url(), "WORKER_METRICS_PORT", "0",
                "RECORD_FILE", file(processes.size()).toString()));
        env.putAll(extra);
        JavaProcess p = JavaProcess.start(RecordingWorker.class, env);
        processes.add(p);
        return p;
    }

    /** The ids ({@code type:shard:seq}) a record file shows begun and not (yet) ended. */
    static Set<String> begunNotDone(Path file) throws IOException {
        Set<String> open = new HashSet<>();
        for (String line : Files.readAllLines(file)) {
            String[] words = line.split(" ", -1);
            if (words[0].equals("begin")) {
                open.add(words[1]);
            } else if (words.length > 1) {
                open.remove(words[1]);
            }
        }
        return open;
    }

    /**
     * Publishes MESSAGE_CREATE seq n on shard {@code n % shards}, one every {@code period}, until stopped: every
     * shard's seqs increase. A publish that fails (a timeout on a busy machine) is retried with the same message id,
     * which makes a retry of a publish that did land a no-op.
     */
    Publisher publishSteadily(int shards, Duration period) {
        publisher = new Publisher(shards, period);
        return publisher;
    }

    /** The publisher last started. */
    Publisher publisher() {
        return publisher;
    }

    final class Publisher {
        private final AtomicBoolean publishing = new AtomicBoolean(true);
        private final AtomicInteger published = new AtomicInteger();
        private final Thread thread;

        private Publisher(int shards, Duration period) {
            thread = Thread.ofVirtual().start(() -> {
                while (publishing.get()) {
                    int n = published.get();
                    try {
                        stream.publish(n % shards, n, "MESSAGE_CREATE", EventStream.message("e" + n));
                        published.incrementAndGet();
                    } catch (IOException | JetStreamApiException e) {
                        System.out.println("retrying publish of event " + n + ": " + e);
                    }
                    try {
                        Thread.sleep(period.toMillis()); // a steady rate
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        int published() {
            return published.get();
        }

        /** Stops and returns how many were published. */
        int stop() throws InterruptedException {
            publishing.set(false);
            thread.join();
            return published.get();
        }
    }

    @Override
    public void close() {
        processes.forEach(JavaProcess::close);
        stream.close();
        nats.close();
    }
}
