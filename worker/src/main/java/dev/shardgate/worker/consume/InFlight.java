package dev.shardgate.worker.consume;

import io.nats.client.Message;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The deliveries this replica holds: a permit per handler slot, so a pull loop asks the server only for as many
 * messages as there are free slots (back-pressure is what we fetch), and the held messages, each with its handler
 * running, so their ack deadline can be extended and a drain can wait for them. A replica never holds more
 * unacknowledged events than its capacity. Thread-safe: pull loops take permits, handler threads give them back.
 */
public final class InFlight {
    private final int capacity;
    private final Semaphore slots;
    private final Map<Message, Held> held = new ConcurrentHashMap<>();

    /** One held message: its loop's guard, since when, and whether it was already reported slow. */
    private static final class Held {
        final ShardGuard guard;
        final long since = System.nanoTime();
        boolean reportedSlow;

        Held(ShardGuard guard) {
            this.guard = guard;
        }
    }

    public InFlight(int capacity) {
        this.capacity = capacity;
        this.slots = new Semaphore(capacity);
    }

    /** Blocks until a slot is free, then takes every free slot up to {@code atMost}; returns how many it took. */
    public int reserve(int atMost) throws InterruptedException {
        slots.acquire();
        int taken = 1;
        while (taken < atMost && slots.tryAcquire()) {
            taken++;
        }
        return taken;
    }

    /** Gives back slots that found no message. */
    public void cancel(int count) {
        if (count > 0) {
            slots.release(count);
        }
    }

    /** @param guard whether the message may still be extended (ordered mode: the shard is still held) */
    public void begin(Message message, ShardGuard guard) {
        held.put(message, new Held(guard));
    }

    public void end(Message message) {
        held.remove(message);
        slots.release();
    }

    /** Events held: each has a handler running (or its large body being read for one). */
    public int running() {
        return held.size();
    }

    /** Slots reserved by a fetch still waiting for its messages. */
    public int requested() {
        return Math.max(0, capacity - slots.availablePermits() - held.size());
    }

    /** Runs {@code action} on every held message whose guard still holds (a fenced one is left to expire). */
    public void forEachHeld(Consumer<Message> action) {
        held.forEach((message, h) -> {
            if (h.guard.holds()) {
                action.accept(message);
            }
        });
    }

    /** Handlers running longer than {@code threshold}. */
    public int runningLongerThan(Duration threshold) {
        long now = System.nanoTime();
        return (int) held.values().stream().filter(h -> now - h.since > threshold.toNanos()).count();
    }

    /** Runs {@code action} once for each message whose handler has run longer than {@code threshold}. */
    public void forEachNewlySlow(Duration threshold, Consumer<Message> action) {
        long now = System.nanoTime();
        held.forEach((message, h) -> {
            if (now - h.since > threshold.toNanos() && !h.reportedSlow) {
                h.reportedSlow = true; // only the progress thread reads and writes it
                action.accept(message);
            }
        });
    }

    /** Waits until nothing is reserved or held; false when the time ran out first. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        if (!slots.tryAcquire(capacity, timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            return false;
        }
        slots.release(capacity);
        return true;
    }
}
