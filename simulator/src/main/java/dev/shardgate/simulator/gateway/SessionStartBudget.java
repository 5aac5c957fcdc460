package dev.shardgate.simulator.gateway;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The daily session-start budget ({@code session_start_limit}, discord-gateway.md §8.3). Each identify takes
 * one; when an identify finds none left, Discord ends every session and resets the token. Written by the
 * gateway loop, read by HTTP handlers and tests, hence synchronized (the lock is never contended for long).
 */
public final class SessionStartBudget {
    private final Clock clock;
    private final int total;
    private final Duration window;
    private int remaining;
    private Instant resetAt;

    SessionStartBudget(Clock clock, int total, int remaining, Duration resetAfter, Duration window) {
        if (total < 0 || remaining < 0 || remaining > total) {
            throw new IllegalArgumentException("bad session start limit: total=" + total + " remaining=" + remaining);
        }
        this.clock = clock;
        this.total = total;
        this.window = window;
        this.remaining = remaining;
        this.resetAt = clock.instant().plus(resetAfter);
    }

    public int total() {
        return total;
    }

    public synchronized int remaining() {
        refill();
        return remaining;
    }

    /** Milliseconds until {@code remaining} is reset to {@code total}. */
    public synchronized long resetAfterMillis() {
        refill();
        return Math.max(0, Duration.between(clock.instant(), resetAt).toMillis());
    }

    /** Takes one session start; false when none are left. */
    synchronized boolean tryTake() {
        refill();
        if (remaining == 0) {
            return false;
        }
        remaining--;
        return true;
    }

    private void refill() {
        Instant now = clock.instant();
        if (!now.isBefore(resetAt)) {
            remaining = total;
            resetAt = now.plus(window);
        }
    }
}
