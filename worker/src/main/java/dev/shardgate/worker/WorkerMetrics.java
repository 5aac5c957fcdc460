package dev.shardgate.worker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The worker's meters, named once here. Micrometer meters are thread-safe; the gauges read atomics that
 * their single writers update.
 */
public final class WorkerMetrics {
    /** What became of one delivery; the {@code outcome} tag of {@code shardgate.worker.events}. */
    public enum Outcome {
        HANDLED, FAILED, SKIPPED_TOO_OLD, DEAD_LETTERED, UNROUTED,
        /** Ordered mode: not run or not settled because this replica lost the event's shard (left to its new holder). */
        FENCED;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final MeterRegistry registry;
    private final AtomicLong pending = new AtomicLong();
    private final AtomicInteger ownedShards = new AtomicInteger();

    /**
     * @param running events held with their handler running
     * @param requested handler slots a fetch asked the server to fill and that are still empty
     * @param limit the in-flight limit
     */
    public WorkerMetrics(MeterRegistry registry, Supplier<Number> running, Supplier<Number> requested, int limit) {
        this.registry = registry;
        Gauge.builder("shardgate.worker.in.flight", running)
                .description("Events this replica holds unacknowledged, each with its handler running").register(registry);
        Gauge.builder("shardgate.worker.in.flight.limit", () -> limit)
                .description("WORKER_MAX_IN_FLIGHT: handlers (and unacknowledged events) at most").register(registry);
        Gauge.builder("shardgate.worker.fetch.requested", requested)
                .description("Free handler slots a pending fetch asked the server to fill").register(registry);
        Gauge.builder("shardgate.worker.consumer.pending", pending, AtomicLong::get)
                .description("Events the server still held for the consumer, as of the last delivery").register(registry);
        registry.gauge("shardgate.worker.owned.shards", ownedShards);
    }

    public void event(String type, Outcome outcome) {
        Counter.builder("shardgate.worker.events").description("Deliveries by event type and outcome")
                .tag("type", type).tag("outcome", outcome.tag()).register(registry).increment();
    }

    public void handlerTime(String type, Duration took) {
        Timer.builder("shardgate.worker.handler").description("Handler run time").tag("type", type)
                .register(registry).record(took);
    }

    /** Event age when it reached this worker: how far behind the gateway the workers are. */
    public void lag(String type, Duration age) {
        Timer.builder("shardgate.worker.lag").description("Time from the proxy's publish to a worker's receipt")
                .tag("type", type).register(registry).record(age);
    }

    /** A delivery retried in place after a transient failure (no delivery spent). */
    public void transientRetry(String type) {
        Counter.builder("shardgate.worker.transient.retries")
                .description("Handler runs retried in place after a transient failure (REST proxy or NATS away, 5xx)")
                .tag("type", type).register(registry).increment();
    }

    /** Handlers running longer than {@code WORKER_SLOW_HANDLER}: stuck ones show here. */
    public void slowHandlers(Supplier<Number> count) {
        // A supplier gauge holds its supplier strongly; given as the "state object" it would be held weakly, and this
        // lambda, referenced by nothing else, would read NaN after the next GC.
        Gauge.builder("shardgate.worker.handlers.slow", count)
                .description("Handlers running longer than WORKER_SLOW_HANDLER").register(registry);
    }

    /** 1 while pulls are paused because handlers meet transient failures. */
    public void pullPause(Supplier<Boolean> paused) {
        Gauge.builder("shardgate.worker.pulls.paused", () -> paused.get() ? 1 : 0)
                .description("1 while this replica holds back its pulls after transient failures").register(registry);
    }

    public void redelivery(String type) {
        Counter.builder("shardgate.worker.redeliveries").description("Deliveries after the first")
                .tag("type", type).register(registry).increment();
    }

    /** Messages the server still holds for the consumer, as of the last delivery. */
    public void pending(long count) {
        pending.set(count);
    }

    public void ownedShards(int count) {
        ownedShards.set(count);
    }

    /** Ordered mode: released shards whose last pull has not ended, so their events may still be handled here. */
    public void releasingShards(Supplier<Number> count) {
        Gauge.builder("shardgate.worker.releasing.shards", count)
                .description("Ordered mode: shards handed to another replica whose last pull has not ended yet")
                .register(registry);
    }

    /** Ordered mode: an event of a shard whose gateway sequence is lower than one handled before it. */
    public void seqRegression() {
        Counter.builder("shardgate.worker.seq.regressions")
                .description("Ordered mode: events whose seq went backwards within their shard's session")
                .register(registry).increment();
    }

    /** Ordered mode: a shard's pull loop that ended without being asked to, started again. */
    public void loopRestart() {
        Counter.builder("shardgate.worker.loop.restarts")
                .description("Ordered mode: shard pull loops that died and were started again").register(registry)
                .increment();
    }

    /** Ordered mode: every shard dropped at once because this replica's membership lease expired. */
    public void leaseLost() {
        Counter.builder("shardgate.worker.lease.losses")
                .description("Ordered mode: membership leases that expired (a freeze or a cut-off past the TTL)")
                .register(registry).increment();
    }

    public void natsEvent(String kind) {
        registry.counter("shardgate.worker.nats.events", "kind", kind).increment();
    }

    public void stateChange(WorkerState to) {
        registry.counter("shardgate.worker.state.transitions", "to", to.name().toLowerCase(Locale.ROOT))
                .increment();
    }
}
