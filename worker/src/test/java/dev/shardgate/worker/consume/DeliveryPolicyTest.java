package dev.shardgate.worker.consume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.worker.Event;
import dev.shardgate.worker.consume.DeliveryPolicy.Admission;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The age policy, delivery limit and backoff on a fixed (virtual) clock. */
class DeliveryPolicyTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private final DeliveryPolicy policy = new DeliveryPolicy(3, Duration.ofSeconds(1),
            type -> Map.of("INTERACTION_CREATE", Duration.ofSeconds(3)).getOrDefault(type, Duration.ZERO),
            Clock.fixed(NOW, ZoneOffset.UTC));

    private static Event event(String type, Duration age, long deliveries) {
        return new Event(type, 0, 1, NOW.minus(age), deliveries, new byte[0]);
    }

    @Test
    void interactionsOlderThanThreeSecondsAreTooOldOthersHaveNoLimit() {
        assertEquals(Admission.HANDLE, policy.admit(event("INTERACTION_CREATE", Duration.ofMillis(2999), 1)));
        assertEquals(Admission.TOO_OLD, policy.admit(event("INTERACTION_CREATE", Duration.ofMillis(3001), 1)));
        assertEquals(Admission.HANDLE, policy.admit(event("MESSAGE_CREATE", Duration.ofDays(1), 1)));
    }

    @Test
    void aClockBehindTheServerNeverGivesANegativeAge() {
        assertEquals(Duration.ZERO, policy.age(event("MESSAGE_CREATE", Duration.ofSeconds(-5), 1)));
    }

    @Test
    void deliveriesBeyondTheLimitAreExhaustedAndTheLimitItselfIsTheLastTry() {
        assertFalse(policy.lastDelivery(event("X", Duration.ZERO, 2)));
        assertTrue(policy.lastDelivery(event("X", Duration.ZERO, 3)));
        assertEquals(Admission.HANDLE, policy.admit(event("X", Duration.ZERO, 3)));
        assertEquals(Admission.EXHAUSTED, policy.admit(event("X", Duration.ZERO, 4)));
    }

    @Test
    void backoffDoublesPerDeliveryAndIsCapped() {
        assertEquals(Duration.ofSeconds(1), policy.retryDelay(event("X", Duration.ZERO, 1)));
        assertEquals(Duration.ofSeconds(2), policy.retryDelay(event("X", Duration.ZERO, 2)));
        assertEquals(Duration.ofSeconds(4), policy.retryDelay(event("X", Duration.ZERO, 3)));
        assertEquals(DeliveryPolicy.MAX_BACKOFF, policy.retryDelay(event("X", Duration.ZERO, 60)));
    }
}
