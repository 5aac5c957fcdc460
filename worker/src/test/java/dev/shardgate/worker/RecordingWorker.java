package dev.shardgate.worker;

import dev.shardgate.config.ProcessLogging;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A worker JVM for process tests: for each event of RECORD_TYPES (default MESSAGE_CREATE) it appends
 * {@code begin <type>:<shard>:<seq> @<millis>} to RECORD_FILE, waits HANDLER_DELAY_MS, appends
 * {@code done ... @<millis>} and returns (then the library acks). Lines reach the kernel before the ack, so they
 * survive SIGKILL and the test can count losses and duplicates exactly. In ordered mode the work counts only if
 * the replica still held the shard when it ended: the time is read first, then the fence, so a {@code done} line
 * written late (the process was stopped in between) still carries a moment at which the shard was held; a handler
 * that finds its shard lost writes {@code fenced ...} instead.
 */
public final class RecordingWorker {
    static {
        ProcessLogging.install();
    }

    private RecordingWorker() {
    }

    public static void main(String[] args) throws Exception {
        long delay = Long.parseLong(System.getenv().getOrDefault("HANDLER_DELAY_MS", "0"));
        // a FileOutputStream, not a FileChannel: an interrupt (the library interrupts the handlers of a lost shard)
        // closes an interruptible channel for good, and every later record would fail
        FileOutputStream out = new FileOutputStream(System.getenv("RECORD_FILE"), true);
        EventHandler record = event -> {
            String id = event.type() + ":" + event.shard() + ":" + event.seq();
            write(out, "begin " + id + " @" + System.currentTimeMillis());
            if (delay > 0) {
                Thread.sleep(delay); // simulated work
            }
            long end = System.currentTimeMillis();
            write(out, (event.context().holdsShard() ? "done " : "fenced ") + id + " @" + end);
        };
        Worker.Builder builder = Worker.builder(WorkerConfig.fromEnvironment());
        for (String type : System.getenv().getOrDefault("RECORD_TYPES", "MESSAGE_CREATE").split(",", -1)) {
            builder.on(type.trim(), record);
        }
        Worker worker = builder.build();
        worker.drainOnShutdown();
        worker.start();
        worker.awaitStopped();
    }

    /** One write(2) per line, unbuffered: the line is in the kernel before the handler returns. */
    private static void write(FileOutputStream out, String line) throws IOException {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (out) {
            out.write(bytes);
        }
    }
}
