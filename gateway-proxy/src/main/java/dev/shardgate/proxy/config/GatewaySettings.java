package dev.shardgate.proxy.config;

import dev.shardgate.config.ConfigException;
import dev.shardgate.config.ConfigSource;
import java.time.Duration;

/**
 * The gateway role's own tuning, beyond CONTRACT.md's variables. Every value has a default that suits a real
 * bot; tests shrink them.
 *
 * @param publishBuffer events received from Discord but not yet acknowledged by JetStream, across all shards;
 *     when it is full a shard closes resumably and Discord replays the rest after the resume
 * @param maxFrameBytes the largest inflated gateway payload accepted (READY of a big shard is megabytes)
 * @param stormMaxIdentifies identifies one shard may make within {@code stormWindow} before the storm breaker
 *     stops it
 * @param stormWindow the storm breaker's window
 * @param commandMaxWait how long a worker command may wait for a send slot before it is refused
 * @param sessionTtl how long a handed-over session is kept for the next process (Discord keeps it a few minutes)
 */
public record GatewaySettings(
        int publishBuffer,
        int maxFrameBytes,
        int stormMaxIdentifies,
        Duration stormWindow,
        Duration commandMaxWait,
        Duration sessionTtl) {

    public static GatewaySettings defaults() {
        return from(ConfigSource.of(java.util.Map.of()));
    }

    static GatewaySettings from(ConfigSource src) {
        Duration stormWindow = src.duration("STORM_WINDOW", Duration.ofMinutes(10));
        Duration commandMaxWait = src.duration("COMMAND_MAX_WAIT", Duration.ofSeconds(2));
        Duration sessionTtl = src.duration("SESSION_HANDOVER_TTL", Duration.ofMinutes(5));
        if (stormWindow.isNegative() || stormWindow.isZero()) {
            throw new ConfigException("STORM_WINDOW must be positive, got " + stormWindow);
        }
        if (commandMaxWait.isNegative() || commandMaxWait.compareTo(Duration.ofSeconds(60)) > 0) {
            throw new ConfigException("COMMAND_MAX_WAIT must be between 0 and 60s, got " + commandMaxWait);
        }
        if (sessionTtl.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new ConfigException("SESSION_HANDOVER_TTL must be at least 1s, got " + sessionTtl);
        }
        return new GatewaySettings(
                src.integer("PUBLISH_BUFFER", 20_000, 1, 10_000_000),
                src.integer("GATEWAY_MAX_FRAME_BYTES", 64 << 20, 4096, Integer.MAX_VALUE - 64),
                src.integer("STORM_MAX_IDENTIFIES", 8, 1, 1000),
                stormWindow,
                commandMaxWait,
                sessionTtl);
    }
}
