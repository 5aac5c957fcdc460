package dev.shardgate.proxy.gateway;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class StormBreakerTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void tripsAfterTooManyIdentifiesInTheWindowAndSaysWhy() {
        StormBreaker breaker = new StormBreaker(3, Duration.ofMinutes(10));
        for (int i = 0; i < 3; i++) {
            assertTrue(breaker.tryIdentify(T0.plusSeconds(i * 10)).isEmpty());
        }
        String why = breaker.tryIdentify(T0.plusSeconds(40)).orElseThrow();
        assertTrue(why.contains("3 identifies within 600 s"), why);
    }

    @Test
    void identifiesSpreadBeyondTheWindowNeverTrip() {
        StormBreaker breaker = new StormBreaker(3, Duration.ofMinutes(10));
        for (int i = 0; i < 50; i++) {
            assertTrue(breaker.tryIdentify(T0.plus(Duration.ofMinutes(4).multipliedBy(i))).isEmpty());
        }
    }
}
