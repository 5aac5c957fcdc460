package dev.shardgate.proxy.config;

import dev.shardgate.config.ConfigException;
import dev.shardgate.config.ConfigSource;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;

/**
 * The gateway role's own tuning, beyond CONTRACT.md's variables. Every value has a default that suits a real
 * bot; tests shrink them.
 *
 * @param publishBuffer events received from Discord but not yet acknowledged by JetStream, across all shards;
 *     when it is full a shard closes resumably and Discord replays the rest after the resume
 * @param publishBufferBytes the same bound in body bytes, so a burst of large events cannot exhaust the heap
 * @param maxFrameBytes the largest inflated gateway payload accepted (READY of a big shard is megabytes)
 * @param stormMaxIdentifies identifies one shard may send within {@code stormWindow} before the storm breaker
 *     makes it cool down
 * @param stormWindow the storm breaker's window
 * @param commandMaxWait how long a worker command may wait for a send slot before it is refused
 * @param sessionTtl how long a session checkpoint is trusted (and kept in KV): a little longer than Discord
 *     keeps a disconnected session resumable ("a few minutes")
 * @param leaseTtl how long a shard's ownership lease lives without renewal: after a crash, the next owner takes
 *     the shard within this time (an existing lease bucket keeps the TTL it was created with)
 * @param checkpointInterval how often each shard's checkpoint (session, resume URL, last stored seq) is written
 * @param identifyReserve session starts that identifies never spend, bot-wide
 * @param replicas the replica count of the event stream, the KV buckets and the object store (3 on a cluster)
 * @param watchdogMinSilence the shortest silence (no dispatch at all) after which a live shard that had traffic is
 *     resumed on a fresh connection; the watchdog waits longer when the shard's own traffic is sparse
 * @param instanceId this process's name in leases, {@code /shards} and {@code gateway.info} (the pod name)
 */
public record GatewaySettings(
        int publishBuffer,
        long publishBufferBytes,
        int maxFrameBytes,
        int stormMaxIdentifies,
        Duration stormWindow,
        Duration commandMaxWait,
        Duration sessionTtl,
        Duration leaseTtl,
        Duration checkpointInterval,
        int identifyReserve,
        int replicas,
        Duration watchdogMinSilence,
        String instanceId) {

    public static GatewaySettings defaults() {
        return from(ConfigSource.of(java.util.Map.of()));
    }

    static GatewaySettings from(ConfigSource src) {
        Duration stormWindow = positive(src, "STORM_WINDOW", Duration.ofMinutes(10));
        Duration commandMaxWait = src.duration("COMMAND_MAX_WAIT", Duration.ofSeconds(2));
        Duration sessionTtl = src.duration("SESSION_HANDOVER_TTL", Duration.ofMinutes(5));
        Duration leaseTtl = src.duration("LEASE_TTL", Duration.ofSeconds(10));
        Duration checkpointInterval = src.duration("CHECKPOINT_INTERVAL", Duration.ofSeconds(1));
        if (commandMaxWait.isNegative() || commandMaxWait.compareTo(Duration.ofSeconds(60)) > 0) {
            throw new ConfigException("COMMAND_MAX_WAIT must be between 0 and 60s, got " + commandMaxWait);
        }
        if (sessionTtl.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new ConfigException("SESSION_HANDOVER_TTL must be at least 1s, got " + sessionTtl);
        }
        if (leaseTtl.compareTo(Duration.ofSeconds(2)) < 0 || leaseTtl.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new ConfigException("LEASE_TTL must be between 2s and 5m, got " + leaseTtl);
        }
        if (checkpointInterval.compareTo(Duration.ofMillis(100)) < 0
                || checkpointInterval.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new ConfigException("CHECKPOINT_INTERVAL must be between 100ms and 1m, got " + checkpointInterval);
        }
        String instanceId = src.string("INSTANCE_ID", hostname()).trim();
        if (instanceId.isEmpty() || instanceId.length() > 128) {
            throw new ConfigException("INSTANCE_ID must be 1 to 128 characters, got '" + instanceId + "'");
        }
        return new GatewaySettings(
                src.integer("PUBLISH_BUFFER", 20_000, 1, 10_000_000),
                (long) src.integer("PUBLISH_BUFFER_MB", 128, 1, 1 << 20) << 20,
                src.integer("GATEWAY_MAX_FRAME_BYTES", 64 << 20, 4096, Integer.MAX_VALUE - 64),
                src.integer("STORM_MAX_IDENTIFIES", 8, 1, 1000),
                stormWindow,
                commandMaxWait,
                sessionTtl,
                leaseTtl,
                checkpointInterval,
                src.integer("IDENTIFY_RESERVE", 10, 0, 1_000_000),
                src.integer("NATS_REPLICAS", 1, 1, 5),
                atLeast(src, "WATCHDOG_MIN_SILENCE", Duration.ofMinutes(2), Duration.ofSeconds(1)),
                instanceId);
    }

    private static Duration positive(ConfigSource src, String key, Duration fallback) {
        Duration d = src.duration(key, fallback);
        if (d.isNegative() || d.isZero()) {
            throw new ConfigException(key + " must be positive, got " + d);
        }
        return d;
    }

    private static Duration atLeast(ConfigSource src, String key, Duration fallback, Duration min) {
        Duration d = src.duration(key, fallback);
        if (d.compareTo(min) < 0) {
            throw new ConfigException(key + " must be at least " + min.toMillis() + "ms, got " + d);
        }
        return d;
    }

    private static String hostname() {
        String env = System.getenv("HOSTNAME");
        if (env != null && !env.isBlank()) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "gateway-proxy";
        }
    }
}
