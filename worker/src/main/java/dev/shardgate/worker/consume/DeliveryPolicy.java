package dev.shardgate.worker.consume;

import dev.shardgate.worker.Event;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Function;

/**
 * What to do with a delivery before and after its handler runs: the age policy, the delivery limit and the
 * redelivery backoff. Pure logic on an injected clock, so it is tested on virtual time.
 */
public final class DeliveryPolicy {
    /** Backoff doubling stops here: longer waits only hide a broken handler. */
    static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    /** The decision taken before a handler runs. */
    public enum Admission {
        HANDLE,
        /** Older than its type's age limit: skipped, counted, acknowledged. */
        TOO_OLD,
        /** Delivered more than the limit without success (the replicas holding it died): dead-lettered. */
        EXHAUSTED
    }

    private final int maxDeliveries;
    private final Duration retryBackoff;
    private final Function<String, Duration> maxAgeOf;
    private final Clock clock;

    public DeliveryPolicy(int maxDeliveries, Duration retryBackoff, Function<String, Duration> maxAgeOf, Clock clock) {
        this.maxDeliveries = maxDeliveries;
        this.retryBackoff = retryBackoff;
        this.maxAgeOf = maxAgeOf;
        this.clock = clock;
    }

    public Admission admit(Event event) {
        if (event.deliveries() > maxDeliveries) {
            return Admission.EXHAUSTED;
        }
        Duration limit = maxAgeOf.apply(event.type());
        if (!limit.isZero() && age(event).compareTo(limit) > 0) {
            return Admission.TOO_OLD;
        }
        return Admission.HANDLE;
    }

    /** Time since the proxy stored the event (never negative, whatever the clocks say). */
    public Duration age(Event event) {
        Duration age = Duration.between(event.publishedAt(), clock.instant());
        return age.isNegative() ? Duration.ZERO : age;
    }

    /** Whether a failed delivery was the last one allowed. */
    public boolean lastDelivery(Event event) {
        return event.deliveries() >= maxDeliveries;
    }

    /** The wait before the next delivery after a failed one: the base backoff, doubled per earlier delivery. */
    public Duration retryDelay(Event event) {
        long doublings = Math.min(Math.max(event.deliveries() - 1, 0), 20);
        Duration delay = retryBackoff.multipliedBy(1L << doublings);
        return delay.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : delay;
    }
}
