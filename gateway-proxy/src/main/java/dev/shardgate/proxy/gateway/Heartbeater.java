package dev.shardgate.proxy.gateway;

import dev.shardgate.protocol.Payloads;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Heartbeats of one connection (discord-gateway.md §7): the first after {@code interval × jitter}, then one every
 * interval carrying the last sequence. A beat that finds the previous one unacknowledged declares the connection
 * zombied instead of sending.
 *
 * <p>Threads: beats run on the process's heartbeat scheduler, which nothing else uses, so no event, publish or
 * command can delay them; the scheduler writes the beat to the socket itself, never waiting for {@code gateway-io}.
 * {@link #acknowledge} and {@link #beatNow} are called from the shard's thread; the shared fields are volatile or only
 * touched under this object's lock.
 */
public final class Heartbeater {
    /**
     * Sends a text frame; must not block (the connection writes what the socket takes now and leaves the rest to
     * {@code gateway-io}).
     */
    public interface Sender {
        void send(String payload);
    }

    private final Duration interval;
    private final LongSupplier ticker;
    private final LongSupplier lastSeq;
    private final Sender sender;
    private final Runnable onZombie;
    private final Consumer<Duration> onLatency;
    private ScheduledFuture<?> task;
    private boolean acked = true;
    private long sentAt;
    private volatile long latencyNanos = -1;

    Heartbeater(Duration interval, LongSupplier ticker, LongSupplier lastSeq, Sender sender, Runnable onZombie,
            Consumer<Duration> onLatency) {
        this.interval = interval;
        this.ticker = ticker;
        this.lastSeq = lastSeq;
        this.sender = sender;
        this.onZombie = onZombie;
        this.onLatency = onLatency;
    }

    /** The delay of the first beat: interval × jitter, jitter uniform in [0, 1). */
    static Duration firstDelay(Duration interval, double jitter) {
        return Duration.ofNanos((long) (interval.toNanos() * jitter));
    }

    synchronized void start(ScheduledExecutorService scheduler, double jitter) {
        task = scheduler.scheduleAtFixedRate(this::beat, firstDelay(interval, jitter).toNanos(), interval.toNanos(),
                TimeUnit.NANOSECONDS);
    }

    /** A scheduled beat: zombie check, then send. */
    synchronized void beat() {
        if (task != null && task.isCancelled()) {
            return;
        }
        if (!acked) {
            stop();
            onZombie.run();
            return;
        }
        send();
    }

    /** Discord asked for a beat with op 1: send one now, the schedule continues. */
    public synchronized void beatNow() {
        send();
    }

    /** Op 11 arrived. */
    public void acknowledge() {
        Duration latency;
        synchronized (this) {
            if (acked) {
                return;
            }
            acked = true;
            latencyNanos = ticker.getAsLong() - sentAt;
            latency = Duration.ofNanos(latencyNanos);
        }
        onLatency.accept(latency);
    }

    /** The last heartbeat round trip in milliseconds, or -1 before the first ACK. */
    public long latencyMillis() {
        long l = latencyNanos;
        return l < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(l);
    }

    public synchronized void stop() {
        if (task != null) {
            task.cancel(false);
        }
    }

    private void send() {
        acked = false;
        sentAt = ticker.getAsLong();
        sender.send(Payloads.heartbeat(lastSeq.getAsLong()));
    }
}
