package dev.shardgate.proxy.gateway;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * The event path's timers, one per step from a frame's arrival to its JetStream ack, so that where the
 * milliseconds go can be read off {@code /metrics} in production as in the benchmarks:
 * <ul>
 * <li>{@code shardgate_event_stage_seconds{stage="decode"}}: inflate and envelope, on {@code gateway-io};</li>
 * <li>{@code stage="queue"}: from decoded until the shard's thread runs it;</li>
 * <li>{@code stage="buffer"}: from handed to the publisher until its publish starts;</li>
 * <li>{@code shardgate_publish_latency_seconds}: from publish to JetStream's ack.</li>
 * </ul>
 * Each keeps p50 and p99 over the last 30 s besides count, sum and max; a record costs about 100 ns.
 */
public final class EventStages {
    private static final Duration WINDOW = Duration.ofSeconds(30);

    private EventStages() {
    }

    /** The timer of one stage; every call for a stage returns the same meter. */
    public static Timer stage(MeterRegistry registry, String stage) {
        return withPercentiles(Timer.builder("shardgate_event_stage")).tag("stage", stage)
                .description("Time an event spends in each step from its frame's arrival to its publish")
                .register(registry);
    }

    /** A timer that publishes p50 and p99 over the last 30 s. */
    public static Timer.Builder withPercentiles(Timer.Builder builder) {
        return builder.publishPercentiles(0.5, 0.99).distributionStatisticExpiry(WINDOW)
                .distributionStatisticBufferLength(3);
    }
}
