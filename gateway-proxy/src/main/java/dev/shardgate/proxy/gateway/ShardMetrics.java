package dev.shardgate.proxy.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One shard's meters. Only what every shard needs all the time is registered up front (five meters, and the event path's shared stage timers); counters of
 * rare events (reconnects, malformed payloads, commands, resume-URL fallbacks) are registered when they first
 * happen, and the state is counted across shards by {@link #registerStateCounts}: with a meter per shard and state,
 * 1,000 shards cost 25,000 meters, about 15 MB of heap and a slow scrape. Thread-safe (Micrometer meters are).
 */
public final class ShardMetrics {
    private final MeterRegistry registry;
    private final String shard;
    final Counter identifies;
    final Counter resumes;
    final Counter events;
    private final Timer heartbeatLatency;
    private final Timer decodeStage;
    private final Timer queueStage;

    ShardMetrics(MeterRegistry registry, int shardId, Supplier<Number> seq) {
        this.registry = registry;
        this.shard = Integer.toString(shardId);
        identifies = Counter.builder("shardgate_identifies").description("Identify payloads sent")
                .tag("shard", shard).register(registry);
        resumes = Counter.builder("shardgate_resumes").description("Resume payloads sent")
                .tag("shard", shard).register(registry);
        events = Counter.builder("shardgate_events").description("Dispatches received and handed to the publisher")
                .tag("shard", shard).register(registry);
        heartbeatLatency = Timer.builder("shardgate_heartbeat_latency")
                .description("Time from a heartbeat to its ACK").tag("shard", shard).register(registry);
        decodeStage = EventStages.stage(registry, "decode");
        queueStage = EventStages.stage(registry, "queue");
        Gauge.builder("shardgate_shard_seq", seq).description("Last gateway sequence received")
                .tag("shard", shard).register(registry);
    }

    /** {@code shardgate_shards{state}}: how many of {@code shards} are in each state, read at scrape time. */
    public static void registerStateCounts(MeterRegistry registry, Collection<Shard> shards) {
        for (ShardState s : ShardState.values()) {
            Gauge.builder("shardgate_shards", () -> shards.stream().filter(shard -> shard.state() == s).count())
                    .description("This instance's shards in each state").tag("state", s.name()).register(registry);
        }
    }

    void transition(ShardState to) {
        registry.counter("shardgate_shard_transitions", "to", to.name()).increment();
    }

    void reconnect(String reason) {
        registry.counter("shardgate_reconnects", "shard", shard, "reason", reason).increment();
    }

    void malformed() {
        registry.counter("shardgate_malformed_frames", "shard", shard).increment();
    }

    void command(String result) {
        registry.counter("shardgate_commands", "shard", shard, "result", result).increment();
    }

    void resumeUrlFallback() {
        registry.counter("shardgate_resume_url_fallbacks", "shard", shard).increment();
    }

    void decoded(long nanos) {
        decodeStage.record(nanos, TimeUnit.NANOSECONDS);
    }

    void dequeued(long nanos) {
        queueStage.record(nanos, TimeUnit.NANOSECONDS);
    }

    void heartbeatLatency(Duration latency) {
        heartbeatLatency.record(latency);
    }
}
