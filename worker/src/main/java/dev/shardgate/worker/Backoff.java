package dev.shardgate.worker;

import java.time.Duration;

/**
 * Exponential backoff: {@code first}, doubled per attempt, never more than {@code max}. The one backoff of the
 * worker library (NATS reconnects, waiting for the stream, reopening consumers, redeliveries, transient retries),
 * so every wait grows the same way. Immutable; deterministic, so policies using it are tested on virtual time.
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
}
