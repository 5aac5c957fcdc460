package dev.shardgate.bench.support;

import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

/**
 * Emits at a steady rate: every millisecond it hands {@code sink} the indexes of the events that have come due
 * (event {@code i} is due {@code i / rate} seconds after the start), so 5,000/s is 5 events per millisecond rather
 * than a burst per scheduler tick, and a late wake-up catches up instead of lowering the rate. Runs on the thread
 * that calls {@link #run} or {@link #emit}.
 */
public final class Pacer {
    private final double perSecond;

    public Pacer(double perSecond) {
        if (perSecond <= 0) {
            throw new IllegalArgumentException("rate must be positive: " + perSecond);
        }
        this.perSecond = perSecond;
    }

    /** Emits for {@code nanos}, numbering events from {@code firstIndex}; returns the next index. */
    public long run(long nanos, long firstIndex, LongConsumer sink) {
        return pace(nanos, Long.MAX_VALUE, firstIndex, sink);
    }

    /** Emits {@code count} events at the rate, numbered from {@code firstIndex}. */
    public void emit(long count, long firstIndex, LongConsumer sink) {
        pace(Long.MAX_VALUE, count, firstIndex, sink);
    }

    /** Emits until {@code nanos} have passed or {@code count} events are out; returns the next index. */
    private long pace(long nanos, long count, long firstIndex, LongConsumer sink) {
        long start = System.nanoTime();
        long sent = 0;
        while (true) {
            long elapsed = System.nanoTime() - start;
            long due = Math.min(count, (long) (Math.min(elapsed, nanos) / 1e9 * perSecond));
            while (sent < due) {
                sink.accept(firstIndex + sent++);
            }
            if (elapsed >= nanos || sent >= count) {
                return firstIndex + sent;
            }
            LockSupport.parkNanos(1_000_000);
        }
    }
}
