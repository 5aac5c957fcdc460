package dev.shardgate.worker.consume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.config.Backoff;
import dev.shardgate.protocol.Snowflake;
import dev.shardgate.worker.Event;
import java.nio.charset.StandardCharsets;
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
    private final DeliveryPolicy policy = new DeliveryPolicy(3, new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5)),
            new Backoff(Duration.ofMillis(100), Duration.ofSeconds(30)), Duration.ofMinutes(1),
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
        assertEquals(Duration.ofMinutes(5), policy.retryDelay(event("X", Duration.ZERO, 60)));
    }

    private static Event interaction(Duration createdAgo, Duration storedAgo) {
        long id = Snowflake.fromTimestampMillis(NOW.minus(createdAgo).toEpochMilli());
        String body = "{\"type\":2,\"data\":{\"id\":\"1\"},\"id\":\"" + id + "\",\"token\":\"t\"}";
        return new Event("INTERACTION_CREATE", 0, 1, NOW.minus(storedAgo), 1, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anInteractionAgesFromItsSnowflakeNotFromWhenTheProxyStoredIt() {
        // created 3.5 s ago, stored a moment ago (a resume, a NATS outage): Discord's 3 s are gone already
        Event late = interaction(Duration.ofMillis(3500), Duration.ofMillis(10));
        assertEquals(Duration.ofMillis(3500), policy.age(late));
        assertEquals(Admission.TOO_OLD, policy.admit(late));
        Event fresh = interaction(Duration.ofMillis(1000), Duration.ofMillis(10));
        assertEquals(Admission.HANDLE, policy.admit(fresh));
        assertEquals(NOW.plusSeconds(2), policy.deadline(fresh).orElseThrow());
        assertFalse(policy.tooOld(fresh, Duration.ofMillis(1999)));
        assertTrue(policy.tooOld(fresh, Duration.ofMillis(2001)), "a retry after the deadline would answer late");
    }

    @Test
    void anInteractionWithoutASnowflakeAgesFromItsStoring() {
        Event noId = new Event("INTERACTION_CREATE", 0, 1, NOW.minusSeconds(1), 1,
                "{\"id\":12}".getBytes(StandardCharsets.UTF_8));
        assertEquals(Duration.ofSeconds(1), policy.age(noId));
        assertEquals(Duration.ofSeconds(1), policy.age(new Event("INTERACTION_CREATE", 0, 1, NOW.minusSeconds(1), 1,
                "{not json".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void transientFailuresBackOffInPlaceUntilTheirLimit() {
        assertEquals(Duration.ofMillis(100), policy.transientDelay(1));
        assertEquals(Duration.ofMillis(800), policy.transientDelay(4));
        assertEquals(Duration.ofSeconds(30), policy.transientDelay(100));
        assertTrue(policy.mayRetryInPlace(Duration.ofSeconds(59)));
        assertFalse(policy.mayRetryInPlace(Duration.ofMinutes(1)));
    }
}
