package dev.shardgate.worker.consume;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.worker.Event;
import dev.shardgate.worker.EventContext;
import dev.shardgate.worker.EventHandler;
import dev.shardgate.worker.gateway.GatewayClient;
import dev.shardgate.worker.rest.RestClient;
import dev.shardgate.worker.FailureKind;
import dev.shardgate.worker.WorkerMetrics.Outcome;
import dev.shardgate.worker.WorkerMetrics;
import dev.shardgate.worker.consume.LargeBodyReader.MissingBodyException;
import dev.shardgate.worker.route.Router;
import dev.shardgate.worker.route.SeqPosition;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsJetStreamMetaData;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one delivery from start to its single settlement: admit it (age, delivery limit), run its handler,
 * then ack, nak with backoff, or dead-letter and ack. What the handler throws decides ({@link FailureKind}): a
 * transient failure pauses the replica's pulls ({@link PullPause}) and retries the delivery in place with backoff,
 * spending no delivery; a permanent one dead-letters at once; any other is redelivered until the delivery limit. Every path ends in exactly one of those, or in no ack
 * at all when NATS is unreachable, so the server redelivers: an event is never acked without being handled,
 * skipped by policy or dead-lettered. An event whose body the proxy put in the object store
 * ({@code Shardgate-Object}) reaches its handler with the full body, read just before the handler runs
 * ({@link LargeBodyReader}); a body that is gone for good dead-letters the event, a failed read retries it like a
 * failed handler. Runs on the calling (handler) thread; stateless apart from metrics.
 */
public final class EventProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(EventProcessor.class);

    private final Router router;
    private final DeliveryPolicy policy;
    private final DeadLetters deadLetters;
    private final WorkerMetrics metrics;
    private final LargeBodyReader largeBodies = new LargeBodyReader();
    private final PullPause pause;
    private final RestClient rest;
    private final GatewayClient gateway;
    private final ObjectMapper json;
    private final CountDownLatch stopped = new CountDownLatch(1);

    public EventProcessor(Router router, DeliveryPolicy policy, DeadLetters deadLetters, WorkerMetrics metrics,
            PullPause pause, RestClient rest, GatewayClient gateway, ObjectMapper json) {
        this.json = json;
        this.rest = rest;
        this.gateway = gateway;
        this.router = router;
        this.policy = policy;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
        this.pause = pause;
    }

    /** Pull loops wait on it while handlers meet transient failures. */
    PullPause pause() {
        return pause;
    }

    /** A draining replica retries nothing in place: a transient failure then hands the event back to the stream. */
    public void stop() {
        stopped.countDown();
        pause.resume();
    }

    /**
     * @param guard checked before the handler runs and before the event is settled: a replica that lost the event's
     *     shard meanwhile (ordered mode) neither runs nor acks it, and the shard's new holder gets it after the ack wait
     */
    public void process(Message message, ShardGuard guard) {
        NatsJetStreamMetaData meta = message.metaData();
        Event event = toEvent(message, meta);
        if (!guard.holds()) {
            fenced(event, "handling");
            return;
        }
        guard.observe(event, SeqPosition.of(header(message.getHeaders(), EventHeaders.MSG_ID), event.seq()));
        metrics.pending(meta.pendingCount());
        metrics.lag(event.type(), policy.age(event));
        if (event.deliveries() > 1) {
            metrics.redelivery(event.type());
        }
        switch (policy.admit(event)) {
            case EXHAUSTED -> deadLetter(message, guard, event, meta,
                    "delivered " + event.deliveries() + " times without being acknowledged (replicas stopped or timed out)");
            case TOO_OLD -> {
                LOG.atDebug().setMessage(() -> "skipping " + event + ": older than " + policy.age(event)).log();
                settle(message, guard, event, Outcome.SKIPPED_TOO_OLD, Message::ack);
            }
            case HANDLE -> {
                Optional<EventHandler> handler = router.handlerFor(event.type());
                if (handler.isEmpty()) {
                    settle(message, guard, event, Outcome.UNROUTED, Message::ack);
                    return;
                }
                String object = header(message.getHeaders(), EventHeaders.OBJECT);
                Event whole = object == null ? event : withLargeBody(message, guard, event, meta, object);
                if (whole != null) {
                    handle(handler.get(), message, guard, EventContext.attach(whole, rest, gateway,
                            policy.deadline(whole), guard::holds, json), meta);
                }
            }
        }
    }

    /** The event with the body read from the object store; null when it was settled (or left) instead. */
    private Event withLargeBody(Message message, ShardGuard guard, Event event, NatsJetStreamMetaData meta,
            String object) {
        try {
            byte[] body = largeBodies.read(message, meta.getStream(), object);
            return event.withBody(body);
        } catch (MissingBodyException e) {
            LOG.warn("cannot hand " + event + " to its handler, dead-lettering: " + e.getMessage());
            deadLetter(message, guard, event, meta, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("reading the large body of " + event + " interrupted; the event will be redelivered");
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            failed(message, guard, event, meta, "reading its large body", e, FailureKind.UNKNOWN);
        }
        return null;
    }

    private void handle(EventHandler handler, Message message, ShardGuard guard, Event event,
            NatsJetStreamMetaData meta) {
        long firstFailure = 0;
        for (int transientFailures = 1; ; transientFailures++) {
            long start = System.nanoTime();
            if (!guard.holds()) {
                fenced(event, "retrying");
                return;
            }
            Throwable error = run(handler, event);
            metrics.handlerTime(event.type(), Duration.ofNanos(System.nanoTime() - start));
            if (error == null) {
                pause.resume();
                settle(message, guard, event, Outcome.HANDLED, Message::ack);
                return;
            }
            if (error instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                // stopped before it finished: leave it unacked so another replica gets it
                LOG.warn("handler for " + event + " interrupted; the event will be redelivered");
                return;
            }
            if (!guard.holds()) {
                fenced(event, "settling its failure (" + describe(error) + ")");
                return;
            }
            FailureKind kind = FailureKind.of(error);
            if (kind != FailureKind.TRANSIENT) {
                failed(message, guard, event, meta, "handler", error, kind);
                return;
            }
            firstFailure = firstFailure == 0 ? start : firstFailure;
            Duration delay = policy.transientDelay(transientFailures);
            if (policy.tooOld(event, delay)) {
                LOG.warn("handler failed transiently for " + event + " and its deadline passes before a retry;"
                        + " skipping it rather than answering late: " + describe(error));
                settle(message, guard, event, Outcome.SKIPPED_TOO_OLD, Message::ack);
                return;
            }
            if (stopped.getCount() == 0 || !policy.mayRetryInPlace(Duration.ofNanos(System.nanoTime() - firstFailure))) {
                failed(message, guard, event, meta, "handler", error, FailureKind.UNKNOWN);
                return;
            }
            LOG.warn("handler failed transiently for " + event + " (" + describe(error)
                    + "); pausing pulls and retrying in " + delay + " without spending a delivery");
            metrics.transientRetry(event.type());
            pause.pauseFor(delay);
            try {
                // retry pacing (the ack deadline is extended meanwhile), cut short by a drain
                if (stopped.await(delay.toNanos(), TimeUnit.NANOSECONDS)) {
                    failed(message, guard, event, meta, "handler", error, FailureKind.UNKNOWN);
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                LOG.warn("retry of " + event + " interrupted; the event will be redelivered");
                return;
            }
        }
    }

    /** Runs the handler; returns what it threw, whatever it was (an Error too), or null. */
    private static Throwable run(EventHandler handler, Event event) {
        try {
            handler.handle(event);
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    /**
     * @param stage what failed, for the log: the handler, or reading the body before it
     * @param kind {@link FailureKind#PERMANENT} dead-letters at once; otherwise the delivery counts toward the limit
     */
    private void failed(Message message, ShardGuard guard, Event event, NatsJetStreamMetaData meta, String stage,
            Throwable error, FailureKind kind) {
        String why = describe(error);
        if (kind == FailureKind.PERMANENT || policy.lastDelivery(event)) {
            LOG.warn(stage + " failed for " + event + ", dead-lettering ("
                    + (kind == FailureKind.PERMANENT ? "permanent failure" : "last delivery") + "): " + why, error);
            deadLetter(message, guard, event, meta, why);
            return;
        }
        Duration delay = policy.retryDelay(event);
        LOG.warn(stage + " failed for " + event + ", redelivering in " + delay + ": " + why);
        settle(message, guard, event, Outcome.FAILED, m -> m.nakWithDelay(delay));
    }

    private static String describe(Throwable error) {
        return error.getClass().getSimpleName() + ": " + error.getMessage();
    }

    private void deadLetter(Message message, ShardGuard guard, Event event, NatsJetStreamMetaData meta, String why) {
        if (!guard.holds()) {
            fenced(event, "dead-lettering it");
            return;
        }
        String messageId = header(message.getHeaders(), EventHeaders.MSG_ID);
        String object = header(message.getHeaders(), EventHeaders.OBJECT);
        try {
            deadLetters.publish(event, meta.streamSequence(), messageId, object, why);
        } catch (Exception e) {
            // not stored, so not acked: it comes back after the backoff and is dead-lettered then
            LOG.error("cannot dead-letter " + event + " (" + e + "); it will be redelivered");
            settle(message, guard, event, Outcome.FAILED, m -> m.nakWithDelay(policy.retryDelay(event)));
            return;
        }
        settle(message, guard, event, Outcome.DEAD_LETTERED, Message::ack);
    }

    /** The shard has another holder by now, which gets this event after the ack wait: leave it to it. */
    private void fenced(Event event, String what) {
        LOG.warn("not " + what + ": " + event + " belongs to a shard this replica no longer holds");
        metrics.event(event.type(), Outcome.FENCED);
    }

    private void settle(Message message, ShardGuard guard, Event event, Outcome outcome, Consumer<Message> how) {
        if (!guard.holds()) {
            fenced(event, "settling it as " + outcome);
            return;
        }
        try {
            how.accept(message);
        } catch (RuntimeException e) {
            // the connection is closed; the server redelivers after the ack wait
            LOG.warn("cannot settle " + event + " as " + outcome + ": " + e.getMessage());
        }
        metrics.event(event.type(), outcome);
    }

    /** Builds the event from the contract's headers, falling back to the subject's last two tokens. */
    static Event toEvent(Message message, NatsJetStreamMetaData meta) {
        String subject = message.getSubject();
        int lastDot = subject.lastIndexOf('.');
        int shardDot = lastDot > 0 ? subject.lastIndexOf('.', lastDot - 1) : -1;
        Headers headers = message.getHeaders();
        String type = Optional.ofNullable(header(headers, EventHeaders.EVENT)).map(EventHeaders::eventType)
                .orElse(subject.substring(lastDot + 1));
        String shardText = Optional.ofNullable(header(headers, EventHeaders.SHARD))
                .orElse(shardDot >= 0 ? subject.substring(shardDot + 1, lastDot) : "");
        byte[] data = message.getData();
        return new Event(type, parseOr(shardText, -1), parseOr(header(headers, EventHeaders.SEQ), -1L),
                meta.timestamp().toInstant(), meta.deliveredCount(), data == null ? new byte[0] : data);
    }

    private static String header(Headers headers, String name) {
        return headers == null ? null : headers.getFirst(name);
    }

    private static int parseOr(String s, int fallback) {
        try {
            return s == null ? fallback : Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static long parseOr(String s, long fallback) {
        try {
            return s == null ? fallback : Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
