package dev.shardgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BackoffTest {
    private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2));

    @Test
    void doublesFromTheFirstWaitUpToTheMaximum() {
        assertEquals(Duration.ofMillis(100), backoff.delay(0));
        assertEquals(Duration.ofMillis(100), backoff.delay(1));
        assertEquals(Duration.ofMillis(200), backoff.delay(2));
        assertEquals(Duration.ofMillis(1600), backoff.delay(5));
        assertEquals(Duration.ofSeconds(2), backoff.delay(6));
        assertEquals(Duration.ofSeconds(2), backoff.delay(Long.MAX_VALUE));
    }

    @Test
    void jitterStaysBetweenHalfTheWaitAndAllOfIt() {
        SplittableRandom random = new SplittableRandom(7);
        for (int failures = 1; failures < 10; failures++) {
            Duration ceiling = backoff.delay(failures);
            for (int i = 0; i < 100; i++) {
                Duration d = backoff.jittered(failures, random);
                assertTrue(d.compareTo(ceiling.dividedBy(2)) >= 0 && d.compareTo(ceiling) <= 0, d + " for " + ceiling);
            }
        }
    }

    @Test
    void refusesBoundsInTheWrongOrder() {
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofMillis(-1), Duration.ofSeconds(1)));
    }
}
