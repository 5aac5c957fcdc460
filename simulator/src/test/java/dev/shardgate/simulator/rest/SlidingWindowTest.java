package dev.shardgate.simulator.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SlidingWindowTest {
    private final BucketWindow window = BucketWindow.of(RateLimit.sliding(3, Duration.ofSeconds(5)));

    @Test
    void admitsTheLimitInAnyWindowAndGivesSlotsBackOneByOne() {
        assertTrue(window.tryAcquire(0).admitted());
        assertTrue(window.tryAcquire(1_000).admitted());
        WindowState third = window.tryAcquire(2_000);
        assertTrue(third.admitted());
        assertEquals(0, third.remaining());
        assertEquals(5_000, third.resetAfterMillis(), "whole again when its newest request has left it");

        WindowState refused = window.tryAcquire(4_999);
        assertFalse(refused.admitted());
        assertEquals(1, refused.retryAfterMillis(), "one more fits when the oldest leaves");
        assertEquals(2_001, refused.resetAfterMillis());

        WindowState fourth = window.tryAcquire(5_000);
        assertTrue(fourth.admitted(), "the first request's slot came back alone");
        assertEquals(0, fourth.remaining());
        assertFalse(window.tryAcquire(5_999).admitted(), "the others still count: no reset frees them all");
        assertTrue(window.tryAcquire(6_000).admitted());
    }

    @Test
    void aRefusedRequestTakesNoSlotAndAnEmptyWindowIsIdle() {
        for (int i = 0; i < 3; i++) {
            window.tryAcquire(0);
        }
        for (int i = 0; i < 10; i++) {
            assertFalse(window.tryAcquire(1_000).admitted());
        }
        assertFalse(window.idle(4_999));
        assertTrue(window.idle(5_000));
        WindowState after = window.tryAcquire(5_000);
        assertTrue(after.admitted());
        assertEquals(2, after.remaining(), "the refused requests were never counted");
    }

    @Test
    void aFixedLimitIsStillAWindowThatResets() {
        BucketWindow fixed = BucketWindow.of(new RateLimit(3, Duration.ofSeconds(5)));
        for (int i = 0; i < 3; i++) {
            fixed.tryAcquire(i * 1_000L);
        }
        WindowState refused = fixed.tryAcquire(4_000);
        assertFalse(refused.admitted());
        assertEquals(1_000, refused.retryAfterMillis());
        assertEquals(3, fixed.tryAcquire(5_000).limit());
        assertEquals(1, fixed.tryAcquire(5_000).remaining(), "all three slots came back at the reset");
    }
}
