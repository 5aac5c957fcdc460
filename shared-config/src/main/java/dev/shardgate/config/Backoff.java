package dev.shardgate.config;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff, the one of every process: {@code first}, doubled per failure, never more than {@code max}.
 * Everything that waits before trying again (shard reconnects, start-up steps, event publishes and puts, the
 * worker's reconnects, consumers and redeliveries) grows its waits through this, so they all grow the same way.
 * Immutable; deterministic but for the jitter's random source, so the policies built on it are tested on virtual
 * time.
 *
 * @param first the wait after the first failure
 * @param max the longest wait
 */
public record Backoff(Duration first, Duration max) {
    public Backoff {
        if (first.isNegative() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException("a backoff needs 0 <= first <= max, got " + first + " and " + max);
        }
    }

    /** The wait before attempt {@code failures + 1}: after 1 failure {@code first}, after 2 twice that, and so on. */
    public Duration delay(long failures) {
        long doublings = Math.min(Math.max(failures - 1, 0), 30);
        Duration delay = first.multipliedBy(1L << doublings);
        return delay.compareTo(max) > 0 || delay.isNegative() ? max : delay;
    }

    /**
     * {@link #delay} with equal jitter: between half of it and all of it, so that many clients failing together do
     * not retry in step, and a failing endpoint still gets at least half the wait.
     */
    public Duration jittered(long failures, RandomGenerator random) {
        long ceiling = delay(failures).toNanos();
        return Duration.ofNanos(ceiling / 2 + (long) (ceiling / 2.0 * random.nextDouble()));
    }
}
