package dev.shardgate.simulator.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.testkit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The gateway's limits, on virtual time. */
class LimitsOnVirtualTimeTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-08-07T09:30:00Z"));

    @Test
    void identifyBucketsAllowOnePerFiveSecondsEach() {
        IdentifyLimiter limiter = new IdentifyLimiter(16, Duration.ofSeconds(5));
        for (int shard = 0; shard < 16; shard++) {
            assertTrue(limiter.tryAcquire(shard, clock.instant()), "first window takes shards 0-15");
        }
        assertFalse(limiter.tryAcquire(16, clock.instant()), "shard 16 shares bucket 0");
        assertEquals(0, limiter.bucketOf(16));
        clock.advance(Duration.ofMillis(4999));
        assertFalse(limiter.tryAcquire(31, clock.instant()));
        clock.advance(Duration.ofMillis(1));
        for (int shard = 16; shard < 32; shard++) {
            assertTrue(limiter.tryAcquire(shard, clock.instant()), "second window takes shards 16-31");
        }
    }

    @Test
    void aRefusedIdentifyDoesNotRestartTheWindow() {
        IdentifyLimiter limiter = new IdentifyLimiter(1, Duration.ofSeconds(5));
        assertTrue(limiter.tryAcquire(0, clock.instant()));
        clock.advance(Duration.ofSeconds(3));
        assertFalse(limiter.tryAcquire(1, clock.instant()));
        clock.advance(Duration.ofSeconds(2));
        assertTrue(limiter.tryAcquire(1, clock.instant()));
    }

    @Test
    void sendLimitIsASlidingWindowOf120PerMinute() {
        SendRateLimiter limiter = new SendRateLimiter(clock, 120, Duration.ofSeconds(60));
        for (int i = 0; i < 60; i++) {
            assertTrue(limiter.record());
        }
        clock.advance(Duration.ofSeconds(30));
        for (int i = 0; i < 60; i++) {
            assertTrue(limiter.record());
        }
        assertFalse(limiter.record(), "121 within one rolling minute");
    }

    @Test
    void sendsOlderThanTheWindowNoLongerCount() {
        SendRateLimiter limiter = new SendRateLimiter(clock, 120, Duration.ofSeconds(60));
        for (int i = 0; i < 120; i++) {
            assertTrue(limiter.record());
        }
        clock.advance(Duration.ofSeconds(60));
        for (int i = 0; i < 120; i++) {
            assertTrue(limiter.record());
        }
    }

    @Test
    void sessionStartBudgetCountsDownAndRefillsAfterResetAfter() {
        SessionStartBudget budget = new SessionStartBudget(clock, 1000, 2, Duration.ofMinutes(10),
                Duration.ofHours(24));
        assertEquals(600_000, budget.resetAfterMillis());
        assertTrue(budget.tryTake());
        assertTrue(budget.tryTake());
        assertFalse(budget.tryTake());
        assertEquals(0, budget.remaining());
        clock.advance(Duration.ofMinutes(10));
        assertEquals(1000, budget.remaining());
        assertEquals(Duration.ofHours(24).toMillis(), budget.resetAfterMillis());
    }

    @Test
    void aBudgetWithMoreRemainingThanTotalIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new SessionStartBudget(clock, 10, 11, Duration.ZERO, Duration.ofHours(24)));
    }
}
