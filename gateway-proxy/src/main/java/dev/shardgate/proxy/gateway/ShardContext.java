package dev.shardgate.proxy.gateway;

import dev.shardgate.protocol.BotToken;
import dev.shardgate.proxy.config.Compression;
import dev.shardgate.proxy.config.GatewaySettings;
import dev.shardgate.proxy.fleet.ShardLeases;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * What every shard of a process shares: settings, the identify queue, the event sink, the ownership leases, the two
 * schedulers and the selector that does every connection's socket I/O.
 * {@code heartbeats} runs heartbeats only; {@code timers} only hands delayed work (backoffs, queued commands,
 * timeouts) to shard threads.
 *
 * @param gatewayUrl the base URL from {@code /gateway/bot}, without query
 * @param ticker monotonic nanoseconds, for latency and the send limiter
 * @param random jitter for backoffs and first heartbeats; used by every shard's thread, so it must be thread-safe
 *     and seeded per process (not a {@code ThreadLocalRandom} taken on another thread, whose sequence then depends
 *     only on thread ids and repeats in every process)
 */
public record ShardContext(
        BotToken token,
        int shardCount,
        int intents,
        Compression compression,
        URI gatewayUrl,
        GatewaySettings settings,
        IdentifyQueue identifyQueue,
        EventSink events,
        ShardLeases leases,
        ScheduledExecutorService heartbeats,
        ScheduledExecutorService timers,
        GatewaySelector io,
        Clock clock,
        LongSupplier ticker,
        RandomGenerator random,
        MeterRegistry registry) {
}
