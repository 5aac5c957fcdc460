package dev.shardgate.proxy.admin;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.StreamState;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The event stream as JetStream reports it (messages, bytes, consumers and how far each is behind), read at most
 * every {@link #REFRESH} and never on the caller's thread: a page left open, or ten of them, costs NATS two requests
 * per {@link #REFRESH}, and a NATS that does not answer never slows the page down. {@link #latest} returns the last
 * reading with its time, and starts a new read in the background when that one is due.
 *
 * <p>Thread-safe: readings are immutable and published through a volatile field; one read runs at a time.
 */
final class StreamHealth {
    static final Duration REFRESH = Duration.ofSeconds(2);
    /** A bot has one or two worker consumers; ordered consumers of tools come and go. The page lists the furthest behind. */
    static final int MAX_CONSUMERS = 20;

    /** A durable or ephemeral consumer: {@code pending} not yet delivered, {@code ackPending} delivered, not acked. */
    record Consumer(String name, long pending, long ackPending, long redelivered) {
    }

    /**
     * One reading. {@code error} is set when the read failed; the stream's numbers are then absent.
     *
     * @param consumerCount every consumer of the stream; {@code consumers} lists at most {@link #MAX_CONSUMERS}
     */
    record Reading(Instant at, String error, long messages, long bytes, long firstSeq, long lastSeq,
            Instant lastTime, long consumerCount, List<Consumer> consumers) {
        static Reading failed(Instant at, String error) {
            return new Reading(at, error, 0, 0, 0, 0, null, 0, List.of());
        }
    }

    private final String stream;
    private final Supplier<Optional<Connection>> nats;
    private final Clock clock;
    private final AtomicBoolean reading = new AtomicBoolean();
    private volatile Reading last;

    StreamHealth(String stream, Supplier<Optional<Connection>> nats, Clock clock) {
        this.stream = stream;
        this.nats = nats;
        this.clock = clock;
    }

    /** The last reading (empty before the first one finished); starts a fresh one when it is older than REFRESH. */
    Optional<Reading> latest() {
        Reading r = last;
        if ((r == null || !clock.instant().isBefore(r.at().plus(REFRESH))) && reading.compareAndSet(false, true)) {
            Thread.ofVirtual().name("shardgate-status-stream").start(() -> {
                try {
                    last = read();
                } finally {
                    reading.set(false);
                }
            });
        }
        return Optional.ofNullable(r);
    }

    private Reading read() {
        Instant at = clock.instant();
        Optional<Connection> connection = nats.get();
        if (connection.isEmpty() || connection.get().getStatus() != Connection.Status.CONNECTED) {
            return Reading.failed(at, "NATS not connected");
        }
        try {
            JetStreamManagement jsm = connection.get().jetStreamManagement();
            StreamState state = jsm.getStreamInfo(stream).getStreamState();
            List<ConsumerInfo> all = jsm.getConsumers(stream);
            List<Consumer> behind = all.stream()
                    .map(c -> new Consumer(c.getName(), c.getNumPending(), c.getNumAckPending(), c.getRedelivered()))
                    .sorted(Comparator.comparingLong((Consumer c) -> c.pending() + c.ackPending()).reversed()
                            .thenComparing(Consumer::name))
                    .limit(MAX_CONSUMERS).toList();
            return new Reading(at, null, state.getMsgCount(), state.getByteCount(), state.getFirstSequence(),
                    state.getLastSequence(), state.getLastTime() == null ? null : state.getLastTime().toInstant(),
                    all.size(), behind);
        } catch (Exception e) {
            // JetStreamApiException (no such stream), IOException (timeout), IllegalStateException (closing)
            return Reading.failed(at, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }
}
