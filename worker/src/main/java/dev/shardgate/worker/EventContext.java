package dev.shardgate.worker;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.worker.gateway.GatewayClient;
import dev.shardgate.worker.rest.RestClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * What comes with an event to its handler: the REST client, the gateway command client, the event's deadline (an
 * interaction's 3 s for its first answer) and, in ordered mode, whether this replica still holds the event's shard.
 * The REST and gateway clients it gives refuse to send once the shard is lost, so a handler that resumes after a
 * freeze past its lease cannot act on a shard another replica now runs. Immutable; one per delivery.
 */
public final class EventContext {
    private static final EventContext DETACHED = new EventContext(null, null, Optional.empty(), () -> true,
            JsonMappers.lenient());

    private final RestClient rest;
    private final GatewayClient gateway;
    private final Optional<Instant> deadline;
    private final BooleanSupplier holdsShard;
    private final ObjectMapper json;
    private Event event;

    /**
     * @param deadline when the event stops being worth answering, if it has such a limit
     * @param holdsShard whether this replica may still act on the event's shard (always true outside ordered mode)
     * @param json the worker's JSON mapper
     */
    private EventContext(RestClient rest, GatewayClient gateway, Optional<Instant> deadline, BooleanSupplier holdsShard,
            ObjectMapper json) {
        this.json = json;
        this.rest = rest == null ? null : rest.guarded(holdsShard).answeringBy(deadline);
        this.gateway = gateway == null ? null : gateway.guarded(holdsShard);
        this.deadline = deadline;
        this.holdsShard = holdsShard;
    }

    /**
     * The event with its context attached: what a worker hands its handlers.
     *
     * @param bare the event as read from the stream, its whole body included
     */
    public static Event attach(Event bare, RestClient rest, GatewayClient gateway, Optional<Instant> deadline,
            BooleanSupplier holdsShard, ObjectMapper json) {
        EventContext context = new EventContext(rest, gateway, deadline, holdsShard, json);
        context.event = bare.withContext(context);
        return context.event;
    }

    /** The raw event: type, shard, seq, deliveries and the body's bytes, unparsed. */
    public Event event() {
        if (event == null) {
            throw new IllegalStateException("this context was not attached to an event");
        }
        return event;
    }

    /** A context without clients, for events built outside a worker (tests, replays of dead letters). */
    public static EventContext detached() {
        return DETACHED;
    }

    /** The REST client through the REST proxy; in ordered mode it sends nothing once the shard is lost. */
    public RestClient rest() {
        if (rest == null) {
            throw new IllegalStateException("this event was not delivered by a worker: it has no REST client");
        }
        return rest;
    }

    /** Gateway commands (presence, member chunks, voice state); in ordered mode nothing is sent once the shard is lost. */
    public GatewayClient gateway() {
        if (gateway == null) {
            throw new IllegalStateException("this event was not delivered by a worker: it has no gateway client");
        }
        return gateway;
    }

    /** The worker's JSON mapper: the application's, if it gave one. */
    public ObjectMapper json() {
        return json;
    }

    /** When the event stops being worth answering: an interaction's creation plus 3 s, by its snowflake. */
    public Optional<Instant> deadline() {
        return deadline;
    }

    /** Time left before the deadline (negative once passed), if there is one. */
    public Optional<Duration> timeLeft() {
        return deadline.map(d -> Duration.between(Instant.now(), d));
    }

    /**
     * Ordered mode: whether this replica still holds the event's shard. A handler that acts outside the REST client
     * (its own database, say) checks this before each step it must not take twice at once.
     */
    public boolean holdsShard() {
        return holdsShard.getAsBoolean();
    }
}
