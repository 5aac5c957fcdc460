package dev.shardgate.simulator.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class FixedWindowTest {
    private final FixedWindow window = new FixedWindow(new RateLimit(2, Duration.ofSeconds(5)));

    @Test
    void opensAtTheFirstRequestAndAdmitsTheLimit() {
        WindowState first = window.tryAcquire(10_000);
        assertTrue(first.admitted());
        assertEquals(1, first.remaining());
        assertEquals(15_000, first.resetAtMillis());
        assertEquals(5_000, first.resetAfterMillis());

        WindowState second = window.tryAcquire(12_000);
        assertTrue(second.admitted());
        assertEquals(0, second.remaining());
        assertEquals(3_000, second.resetAfterMillis());

        WindowState third = window.tryAcquire(14_999);
        assertFalse(third.admitted());
        assertEquals(0, third.remaining());
        assertEquals(1, third.resetAfterMillis());
    }

    @Test
    void resetsExactlyAtTheResetTimeAndReopensOnTheNextRequest() {
        window.tryAcquire(0);
        window.tryAcquire(0);
        assertFalse(window.idle(4_999));
        assertTrue(window.idle(5_000));
        WindowState reopened = window.tryAcquire(7_000);
        assertTrue(reopened.admitted());
        assertEquals(1, reopened.remaining());
        assertEquals(12_000, reopened.resetAtMillis(), "the new window starts at its first request");
    }

    @Test
    void refusedRequestsDoNotUseTheNextWindow() {
        window.tryAcquire(0);
        window.tryAcquire(0);
        for (int i = 0; i < 10; i++) {
            assertFalse(window.tryAcquire(1_000).admitted());
        }
        assertEquals(1, window.tryAcquire(5_000).remaining());
    }
}
