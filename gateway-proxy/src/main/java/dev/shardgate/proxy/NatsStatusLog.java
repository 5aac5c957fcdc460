package dev.shardgate.proxy;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Says what a NATS outage means, once: one WARNING when the connection drops (events are buffered, heartbeats go
 * on), one INFO when it is back with how long it was gone. jnats on its own reports every failed reconnect attempt
 * twice (a disconnect event and a SEVERE exception, once a second), which buries everything else in the log.
 * Exceptions of the connection are kept at DEBUG; server errors and slow consumers stay WARNINGs.
 *
 * <p>Threads: called on jnats' connection and callback threads; the outage start is only touched under this
 * object's lock. {@link #connected()} is read by the metrics scrape.
 */
final class NatsStatusLog implements ConnectionListener, ErrorListener {
    private static final System.Logger LOG = System.getLogger(NatsStatusLog.class.getName());

    private final Clock clock;
    private Instant down;
    private volatile boolean connected;

    NatsStatusLog(Clock clock) {
        this.clock = clock;
    }

    /** 1 while connected, else 0 (the {@code shardgate_nats_connected} gauge). */
    double connected() {
        return connected ? 1 : 0;
    }

    // jnats 2.26 deprecates this method but it is still ConnectionListener's one abstract method.
    @SuppressWarnings("deprecation")
    @Override
    public void connectionEvent(Connection conn, Events event) {
        switch (event) {
            case DISCONNECTED -> disconnected();
            case RECONNECTED, CONNECTED -> reconnected(conn);
            case CLOSED -> connected = false;
            default -> LOG.log(System.Logger.Level.DEBUG, "NATS {0}", event);
        }
    }

    private synchronized void disconnected() {
        connected = false;
        if (down == null) {
            down = clock.instant();
            LOG.log(System.Logger.Level.WARNING, "NATS connection lost: events are buffered (PUBLISH_BUFFER) and "
                    + "retried, heartbeats go on, commands are not received; reconnecting every second");
        }
    }

    private synchronized void reconnected(Connection conn) {
        connected = true;
        if (down != null) {
            LOG.log(System.Logger.Level.INFO, "NATS connection back after {0} s{1}",
                    Duration.between(down, clock.instant()).toSeconds(),
                    conn == null ? "" : " (" + conn.getConnectedUrl() + ")");
            down = null;
        }
    }

    @Override
    public void exceptionOccurred(Connection conn, Exception exp) {
        LOG.log(System.Logger.Level.DEBUG, "NATS connection: {0}", exp.toString());
    }

    @Override
    public void errorOccurred(Connection conn, String error) {
        LOG.log(System.Logger.Level.WARNING, "NATS server error: {0}", error);
    }

    @Override
    public void slowConsumerDetected(Connection conn, io.nats.client.Consumer consumer) {
        LOG.log(System.Logger.Level.WARNING, "NATS slow consumer: the command subscription falls behind");
    }
}
