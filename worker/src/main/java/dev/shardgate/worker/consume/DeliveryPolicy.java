package dev.shardgate.worker.consume;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.shardgate.config.Backoff;
import dev.shardgate.protocol.Snowflake;
import dev.shardgate.worker.Event;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Function;

/**
 * What to do with a delivery before and after its handler runs: the age policy, the delivery limit, the
 * redelivery backoff and how long transient failures are retried in place. Pure logic on an injected clock, so
 * it is tested on virtual time.
 *
 * <p>An event's age counts from when the gateway proxy stored it, except an interaction's: Discord's 3 s for the
 * first answer start at the interaction's creation, which its snowflake id tells, so time spent before the proxy
 * (a resume, a NATS outage) counts too.
 */
public final class DeliveryPolicy {
    static final String INTERACTION_CREATE = "INTERACTION_CREATE";
    private static final JsonFactory JSON = new JsonFactory();

    /** The decision taken before a handler runs. */
    public enum Admission {
        HANDLE,
        /** Older than its type's age limit: skipped, counted, acknowledged. */
        TOO_OLD,
        /** Delivered more than the limit without success (the replicas holding it died): dead-lettered. */
        EXHAUSTED
    }

    private final int maxDeliveries;
    private final Backoff redelivery;
    private final Backoff transientRetry;
    private final Duration transientLimit;
    private final Function<String, Duration> maxAgeOf;
    private final Clock clock;

    /**
     * @param redelivery the wait before the server redelivers an event whose handler failed
     * @param transientRetry the wait before retrying a delivery in place after a transient failure
     * @param transientLimit how long one delivery is retried in place before its failure counts as a delivery
     */
    public DeliveryPolicy(int maxDeliveries, Backoff redelivery, Backoff transientRetry, Duration transientLimit,
            Function<String, Duration> maxAgeOf, Clock clock) {
        this.maxDeliveries = maxDeliveries;
        this.redelivery = redelivery;
        this.transientRetry = transientRetry;
        this.transientLimit = transientLimit;
        this.maxAgeOf = maxAgeOf;
        this.clock = clock;
    }

    public Admission admit(Event event) {
        if (event.deliveries() > maxDeliveries) {
            return Admission.EXHAUSTED;
        }
        return tooOld(event, Duration.ZERO) ? Admission.TOO_OLD : Admission.HANDLE;
    }

    /** Whether the event will be past its type's age limit {@code after} from now. */
    public boolean tooOld(Event event, Duration after) {
        Duration limit = maxAgeOf.apply(event.type());
        return !limit.isZero() && age(event).plus(after).compareTo(limit) > 0;
    }

    /** When the event stops being worth handling (an interaction's answer is refused after it), if ever. */
    public Optional<Instant> deadline(Event event) {
        Duration limit = maxAgeOf.apply(event.type());
        return limit.isZero() ? Optional.empty() : Optional.of(origin(event).plus(limit));
    }

    /** Time since the event began (never negative, whatever the clocks say). */
    public Duration age(Event event) {
        Duration age = Duration.between(origin(event), clock.instant());
        return age.isNegative() ? Duration.ZERO : age;
    }

    /** An interaction's creation by its snowflake; any other event's storing in the stream. */
    Instant origin(Event event) {
        if (INTERACTION_CREATE.equals(event.type())) {
            Optional<Instant> created = snowflakeTime(event.raw());
            if (created.isPresent()) {
                return created.get();
            }
        }
        return event.publishedAt();
    }

    /** Whether a failed delivery was the last one allowed. */
    public boolean lastDelivery(Event event) {
        return event.deliveries() >= maxDeliveries;
    }

    /** The wait before the next delivery after a failed one. */
    public Duration retryDelay(Event event) {
        return redelivery.delay(event.deliveries());
    }

    /** The wait before retrying in place after {@code failures} transient failures of one delivery. */
    public Duration transientDelay(int failures) {
        return transientRetry.delay(failures);
    }

    /** Whether a delivery failing transiently since {@code retryingFor} may still be retried in place. */
    public boolean mayRetryInPlace(Duration retryingFor) {
        return retryingFor.compareTo(transientLimit) < 0;
    }

    /** The top-level {@code id}'s creation time, read without building a tree; empty if there is none. */
    static Optional<Instant> snowflakeTime(byte[] body) {
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return Optional.empty();
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("id".equals(field) && value == JsonToken.VALUE_STRING) {
                    return Optional.of(Instant.ofEpochMilli(Snowflake.timestampMillis(Snowflake.parse(parser.getText()))));
                }
                parser.skipChildren();
            }
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty(); // not JSON or no snowflake: the handler will say what is wrong with it
        }
        return Optional.empty();
    }
}
