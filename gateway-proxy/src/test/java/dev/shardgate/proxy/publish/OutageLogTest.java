package dev.shardgate.proxy.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.testkit.ManualClock;
import java.io.IOException;
import java.text.MessageFormat;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A long outage is a start line, a summary every 30 s and an end line, however many retries fail. */
class OutageLogTest {
    private static final Logger LOGGER = Logger.getLogger(OutageLog.class.getName());
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            lines.add(r.getLevel() + " " + MessageFormat.format(r.getMessage(), r.getParameters()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final PublishBuffer buffer = new PublishBuffer(100, 1 << 20);
    private final OutageLog log = new OutageLog(clock, buffer);

    @BeforeEach
    void capture() {
        LOGGER.addHandler(capture);
        LOGGER.setLevel(Level.INFO);
    }

    @AfterEach
    void release() {
        LOGGER.removeHandler(capture);
    }

    @Test
    void tenMinutesOfRetriesEveryTwoSecondsAreTwentyOneLines() {
        buffer.admit(0, "s", 1, "T", new byte[10], clock.millis());
        IOException down = new IOException("Error Publishing: 503 No Responders Available For Request");
        for (int attempt = 0; attempt < 300; attempt++) {
            log.failed("stream publishes", down);
            log.tick();
            clock.advance(Duration.ofSeconds(2));
        }
        log.succeeded("stream publishes");

        assertEquals(21, lines.size(), String.join("\n", lines));
        String error = "java.io.IOException: Error Publishing: 503 No Responders Available For Request (no stream "
                + "captures the subject, or JetStream is off)";
        assertEquals("WARNING publishing to JetStream fails (" + error + "); events stay buffered and are retried "
                + "(1 event(s), 10 bytes buffered); a summary follows every 30 s until it recovers", lines.get(0));
        assertEquals("WARNING publishing to JetStream still failing after 30 s: 1 event(s) (10 bytes) buffered, the "
                + "oldest 30 s old; 15 failed attempts in the last 30 s; last error: " + error, lines.get(1));
        assertEquals("INFO publishing to JetStream recovered after 10 min 0 s (300 failed attempts); 1 event(s) still "
                + "buffered", lines.get(20));
    }

    @Test
    void theOutageLastsWhileAnySourceFailsAndEndsWhenNothingIsLeftToRetry() {
        BufferedEvent large = buffer.admit(0, "s", 1, "T", new byte[10], clock.millis());
        log.failed(large, new IOException("put failed"));
        log.failed("stream publishes", new IOException("timeout"));
        log.succeeded("stream publishes");
        assertTrue(log.failing(), "the put still fails");
        log.succeeded(large);
        assertEquals(2, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(1).startsWith("INFO publishing to JetStream recovered"), lines.get(1));

        log.failed("stream publishes", new IOException("timeout"));
        buffer.settle(large);
        log.tick();
        assertEquals(4, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(3).startsWith("INFO publishing to JetStream: nothing left to retry"), lines.get(3));
    }
}
