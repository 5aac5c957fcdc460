package dev.shardgate.proxy.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class StormBreakerTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void coolsDownUntilTheOldestIdentifyLeavesTheWindowAndSaysWhy() {
        StormBreaker breaker = new StormBreaker(3, Duration.ofMinutes(10));
        for (int i = 0; i < 3; i++) {
            assertTrue(breaker.coolDownUntil(T0.plusSeconds(i * 10L)).isEmpty());
            breaker.identified(T0.plusSeconds(i * 10L));
        }
        Instant until = breaker.coolDownUntil(T0.plusSeconds(40)).orElseThrow();
        assertEquals(T0.plus(Duration.ofMinutes(10)), until);
        assertTrue(breaker.reason(until).contains("3 identifies within 600 s"), breaker.reason(until));
        assertTrue(breaker.coolDownUntil(until).isEmpty(), "after the cool-down the shard may identify again");
    }

    @Test
    void onlyIdentifiesSentCount() {
        StormBreaker breaker = new StormBreaker(1, Duration.ofMinutes(10));
        for (int i = 0; i < 5; i++) {
            assertTrue(breaker.coolDownUntil(T0.plusSeconds(i)).isEmpty(), "asking is not identifying");
        }
    }

    @Test
    void identifiesSpreadBeyondTheWindowNeverCoolDown() {
        StormBreaker breaker = new StormBreaker(3, Duration.ofMinutes(10));
        for (int i = 0; i < 50; i++) {
            Instant at = T0.plus(Duration.ofMinutes(4).multipliedBy(i));
            assertTrue(breaker.coolDownUntil(at).isEmpty());
            breaker.identified(at);
        }
    }
}
