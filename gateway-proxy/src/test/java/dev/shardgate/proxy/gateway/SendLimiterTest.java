package dev.shardgate.proxy.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The per-connection send budget on virtual time. */
class SendLimiterTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void keepsRoomForHeartbeatsAtDiscordsUsualInterval() {
        // ceil(60 / 41.25) = 2 beats, +1 for the jittered first, +3 for identify/resume and requested beats.
        assertEquals(114, new SendLimiter(Duration.ofMillis(41_250)).commandLimit());
    }

    @Test
    void noSixtySecondWindowEverHoldsMoreThanTheCommandShare() {
        SendLimiter limiter = new SendLimiter(Duration.ofMillis(41_250));
        int limit = limiter.commandLimit();
        java.util.List<Long> sent = new java.util.ArrayList<>();
        long now = 0;
        for (int i = 0; i < 500; i++) {
            Optional<Long> slot = limiter.reserve(now, Duration.ofSeconds(90));
            assertTrue(slot.isPresent());
            sent.add(slot.get());
            now += SECOND / 2;
        }
        for (int i = limit; i < sent.size(); i++) {
            assertTrue(sent.get(i) - sent.get(i - limit) >= 60 * SECOND, "window overflow at " + i);
        }
    }

    @Test
    void queuesBrieflyThenRefuses() {
        SendLimiter limiter = new SendLimiter(Duration.ofMillis(41_250));
        for (int i = 0; i < limiter.commandLimit(); i++) {
            assertEquals(Optional.of(i * SECOND / 1000), limiter.reserve(i * SECOND / 1000, Duration.ZERO));
        }
        long now = 59 * SECOND;
        assertEquals(Optional.empty(), limiter.reserve(now, Duration.ofMillis(500)));
        assertEquals(Optional.of(60 * SECOND), limiter.reserve(now, Duration.ofSeconds(2)));
    }
}
