package dev.shardgate.proxy.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.function.Supplier;

/** One shard's meters. Thread-safe (Micrometer meters are). */
final class ShardMetrics {
    private final MeterRegistry registry;
    private final String shard;
    final Counter identifies;
    final Counter resumes;
    final Counter events;
    final Counter malformed;
    final Counter commandsSent;
    final Counter commandsRefused;
    final Counter resumeUrlFallbacks;
    private final Timer heartbeatLatency;

    ShardMetrics(MeterRegistry registry, int shardId, Supplier<ShardState> state, Supplier<Number> seq) {
        this.registry = registry;
        this.shard = Integer.toString(shardId);
        identifies = Counter.builder("shardgate_identifies").description("Identify payloads sent")
                .tag("shard", shard).register(registry);
        resumes = Counter.builder("shardgate_resumes").description("Resume payloads sent")
                .tag("shard", shard).register(registry);
        events = Counter.builder("shardgate_events").description("Dispatches received and handed to the publisher")
                .tag("shard", shard).register(registry);
        malformed = Counter.builder("shardgate_malformed_frames")
                .description("Gateway payloads that could not be read and were skipped").tag("shard", shard)
                .register(registry);
        commandsSent = Counter.builder("shardgate_commands").description("Worker commands, by result")
                .tags("shard", shard, "result", "sent").register(registry);
        commandsRefused = Counter.builder("shardgate_commands").description("Worker commands, by result")
                .tags("shard", shard, "result", "refused").register(registry);
        resumeUrlFallbacks = Counter.builder("shardgate_resume_url_fallbacks")
                .description("Resumes moved to the main gateway URL after resume_gateway_url failed")
                .tag("shard", shard).register(registry);
        heartbeatLatency = Timer.builder("shardgate_heartbeat_latency")
                .description("Time from a heartbeat to its ACK").tag("shard", shard).register(registry);
        for (ShardState s : ShardState.values()) {
            Gauge.builder("shardgate_shard_state", () -> state.get() == s ? 1 : 0)
                    .description("1 for the shard's current state").tags("shard", shard, "state", s.name())
                    .register(registry);
        }
        Gauge.builder("shardgate_shard_seq", seq).description("Last gateway sequence received")
                .tag("shard", shard).register(registry);
    }

    void transition(ShardState to) {
        registry.counter("shardgate_shard_transitions", "shard", shard, "to", to.name()).increment();
    }

    void reconnect(String reason) {
        registry.counter("shardgate_reconnects", "shard", shard, "reason", reason).increment();
    }

    void heartbeatLatency(Duration latency) {
        heartbeatLatency.record(latency);
    }
}
