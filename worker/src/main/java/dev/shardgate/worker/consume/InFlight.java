package dev.shardgate.worker.consume;

import io.nats.client.Message;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The deliveries this replica holds: a permit per handler slot, so pull loops can take a message only when
 * a slot is free (back-pressure is what we pull), and the set of held messages, so their ack deadline can be
 * extended while handlers run and a drain can wait for them. Thread-safe: pull loops take permits, handler
 * threads give them back.
 */
public final class InFlight {
    private final int capacity;
    private final Semaphore slots;
    private final Map<Message, ShardGuard> held = new ConcurrentHashMap<>();

    public InFlight(int capacity) {
        this.capacity = capacity;
        this.slots = new Semaphore(capacity);
    }

    /** Blocks until a slot is free. */
    public void reserve() throws InterruptedException {
        slots.acquire();
    }

    /** Gives back a slot that found no message. */
    public void cancel() {
        slots.release();
    }

    /** @param guard whether the message may still be extended (ordered mode: the shard is still held) */
    public void begin(Message message, ShardGuard guard) {
        held.put(message, guard);
    }

    public void end(Message message) {
        held.remove(message);
        slots.release();
    }

    public int count() {
        return capacity - slots.availablePermits();
    }

    /** Runs {@code action} on every held message whose guard still holds (a fenced one is left to expire). */
    public void forEachHeld(Consumer<Message> action) {
        held.forEach((message, guard) -> {
            if (guard.holds()) {
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
