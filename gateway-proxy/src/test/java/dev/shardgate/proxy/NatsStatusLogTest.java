package dev.shardgate.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shardgate.testkit.ManualClock;
import io.nats.client.ConnectionListener.Events;
import java.io.IOException;
import java.net.ConnectException;
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

/** A NATS outage is logged once when it starts and once when it ends, however many reconnect attempts fail. */
class NatsStatusLogTest {
    private static final Logger LOGGER = Logger.getLogger(NatsStatusLog.class.getName());
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.INFO.intValue()) {
                lines.add(r.getLevel() + " " + MessageFormat.format(r.getMessage(), r.getParameters()));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));

    @BeforeEach
    void capture() {
        LOGGER.addHandler(capture);
    }

    @AfterEach
    void release() {
        LOGGER.removeHandler(capture);
    }

    @Test
    void anOutageWithManyFailedAttemptsIsTwoLinesAndTheGaugeFollowsIt() {
        NatsStatusLog status = new NatsStatusLog(clock);
        assertEquals(0, status.connected(), "not connected before the first connect");
        status.connectionEvent(null, Events.CONNECTED);
        assertEquals(1, status.connected());
        assertEquals(List.of(), lines, "a first connect is not news");

        status.connectionEvent(null, Events.DISCONNECTED);
        status.exceptionOccurred(null, new IOException("Read channel closed."));
        for (int attempt = 0; attempt < 30; attempt++) {
            clock.advance(Duration.ofSeconds(1));
            status.connectionEvent(null, Events.DISCONNECTED);
            status.exceptionOccurred(null, new ConnectException("Connection refused"));
        }
        assertEquals(0, status.connected());
        status.connectionEvent(null, Events.RECONNECTED);
        assertEquals(1, status.connected());

        assertEquals(2, lines.size(), lines.toString());
        assertEquals("WARNING NATS connection lost: events are buffered (PUBLISH_BUFFER) and retried, heartbeats go on, "
                + "commands are not received; reconnecting every second", lines.get(0));
        assertEquals("INFO NATS connection back after 30 s", lines.get(1));
    }
}
