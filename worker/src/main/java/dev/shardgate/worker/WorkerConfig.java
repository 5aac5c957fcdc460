package dev.shardgate.worker;

import dev.shardgate.config.Backoff;
import dev.shardgate.config.ConfigException;
import dev.shardgate.config.ConfigSource;
import dev.shardgate.protocol.Subjects;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The worker's settings, read once from the environment and validated; immutable.
 *
 * @param consumer the shared durable consumer's name (ordered mode derives one name per shard from it)
 * @param maxInFlight handlers running at once in this replica; also bounds what it pulls
 * @param ordered handle each shard's events in order by partitioning shards over the replicas
 * @param shardCount ordered mode's shard count, or 0 to ask {@code {prefix}.gateway.info}
 * @param maxDeliveries deliveries of one event before it goes to the dead-letter subject
 * @param retryBackoff the delay before the first redelivery of a failed event, and before the first retry in place
 *     after a transient failure; it doubles each time
 * @param transientRetryLimit how long one delivery is retried in place after transient failures before its
 *     failure counts as a delivery
 * @param ackWait how long the server waits for an ack before redelivering (handlers in flight extend it)
 * @param maxAge age limit of every event type without its own; {@link Duration#ZERO} means no limit
 * @param maxAgeByType age limits per event type ({@code WORKER_MAX_AGE_<TYPE>})
 * @param drainTimeout how long a SIGTERM waits for events in flight before the process exits
 * @param slowHandler a handler running longer than this is logged once and counted as slow (it keeps its event)
 * @param metricsPort HTTP port of {@code /metrics}, {@code /healthz} and {@code /readyz}; 0 (the library's
 *     default: no port opens unless asked) disables it; the example bot defaults it to 8082
 */
public record WorkerConfig(
        List<String> natsUrls,
        Subjects subjects,
        String eventsStream,
        String deadLetterStream,
        String consumer,
        int maxInFlight,
        boolean ordered,
        int shardCount,
        int maxDeliveries,
        Duration retryBackoff,
        Duration transientRetryLimit,
        Duration ackWait,
        Duration maxAge,
        Map<String, Duration> maxAgeByType,
        Duration drainTimeout,
        Duration slowHandler,
        int metricsPort,
        URI restProxyUrl,
        Optional<String> restProxySecret) {

    public static final String DEFAULT_NATS_URL = "nats://127.0.0.1:4222";
    public static final String DEFAULT_REST_PROXY_URL = "http://127.0.0.1:8081/api/v10";
    public static final String DEFAULT_DEAD_LETTER_STREAM = "DISCORD_DEADLETTER";
    public static final String DEFAULT_CONSUMER = "workers";
    private static final String MAX_AGE_PREFIX = "WORKER_MAX_AGE_";
    /** Discord accepts an interaction's initial response only within 3 s of its creation. */
    static final Duration INTERACTION_MAX_AGE = Duration.ofSeconds(3);
    /** Redelivery doubling stops here: longer waits only hide a broken handler. */
    private static final Duration MAX_REDELIVERY_BACKOFF = Duration.ofMinutes(5);
    /** An outage's end is noticed within this. */
    private static final Duration MAX_TRANSIENT_BACKOFF = Duration.ofSeconds(30);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_\\-]+");

    public WorkerConfig {
        maxAgeByType = Map.copyOf(maxAgeByType);
        if (ackWait.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new ConfigException("WORKER_ACK_WAIT must be at least 1s, got " + ackWait);
        }
        if (slowHandler.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new ConfigException("WORKER_SLOW_HANDLER must be at least 1s, got " + slowHandler);
        }
        if (retryBackoff.isNegative()) {
            throw new ConfigException("WORKER_RETRY_BACKOFF must not be negative, got " + retryBackoff);
        }
        for (var entry : Map.of("EVENTS_STREAM", eventsStream, "WORKER_DEADLETTER_STREAM", deadLetterStream,
                "WORKER_CONSUMER", consumer).entrySet()) {
            if (!NAME.matcher(entry.getValue()).matches()) {
                throw new ConfigException(entry.getKey() + " must be letters, digits, '_' or '-', got '"
                        + entry.getValue() + "'");
            }
        }
        if (eventsStream.equals(deadLetterStream)) {
            throw new ConfigException("WORKER_DEADLETTER_STREAM must differ from EVENTS_STREAM");
        }
    }

    public static WorkerConfig fromEnvironment() {
        return from(System.getenv());
    }

    public static WorkerConfig from(Map<String, String> environment) {
        ConfigSource env = ConfigSource.of(environment);
        List<String> nats = env.list("NATS_URL", DEFAULT_NATS_URL);
        Subjects subjects;
        try {
            subjects = new Subjects(env.string("SUBJECT_PREFIX", "discord"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        Map<String, Duration> byType = new HashMap<>();
        byType.put("INTERACTION_CREATE", INTERACTION_MAX_AGE);
        env.keysStartingWith(MAX_AGE_PREFIX).forEach(key -> {
            String type = key.substring(MAX_AGE_PREFIX.length());
            if (!Subjects.isToken(type)) {
                throw new ConfigException(key + " does not end in an event type like MESSAGE_CREATE");
            }
            env.get(key).ifPresent(v -> byType.put(type, nonNegative(key, env.duration(key, Duration.ZERO))));
        });
        return new WorkerConfig(
                nats,
                subjects,
                env.string("EVENTS_STREAM", Subjects.DEFAULT_STREAM),
                env.string("WORKER_DEADLETTER_STREAM", DEFAULT_DEAD_LETTER_STREAM),
                env.string("WORKER_CONSUMER", DEFAULT_CONSUMER),
                env.integer("WORKER_MAX_IN_FLIGHT", 64, 1, 100_000),
                env.bool("WORKER_ORDERED", false),
                env.integer("SHARD_COUNT", 0, 0, 1_000_000),
                env.integer("WORKER_MAX_DELIVERIES", 5, 1, 1000),
                env.duration("WORKER_RETRY_BACKOFF", Duration.ofSeconds(1)),
                nonNegative("WORKER_TRANSIENT_RETRY_LIMIT", env.duration("WORKER_TRANSIENT_RETRY_LIMIT",
                        Duration.ofMinutes(5))),
                env.duration("WORKER_ACK_WAIT", Duration.ofSeconds(30)),
                nonNegative("WORKER_MAX_AGE", env.duration("WORKER_MAX_AGE", Duration.ZERO)),
                byType,
                nonNegative("WORKER_DRAIN_TIMEOUT", env.duration("WORKER_DRAIN_TIMEOUT", Duration.ofSeconds(20))),
                env.duration("WORKER_SLOW_HANDLER", Duration.ofMinutes(1)),
                env.integer("WORKER_METRICS_PORT", 0, 0, 65535),
                env.uri("REST_PROXY_URL", DEFAULT_REST_PROXY_URL, "http", "https"),
                env.get("REST_PROXY_SECRET"));
    }

    /** Redeliveries after a failed handler: {@code retryBackoff} doubling, at most 5 minutes. */
    public Backoff redeliveryBackoff() {
        return new Backoff(retryBackoff, MAX_REDELIVERY_BACKOFF.compareTo(retryBackoff) < 0 ? retryBackoff
                : MAX_REDELIVERY_BACKOFF);
    }

    /** Retries in place after transient failures: {@code retryBackoff} doubling, at most 30 s. */
    public Backoff transientBackoff() {
        return new Backoff(retryBackoff, MAX_TRANSIENT_BACKOFF.compareTo(retryBackoff) < 0 ? retryBackoff
                : MAX_TRANSIENT_BACKOFF);
    }

    /** The age limit of one event type; {@link Duration#ZERO} means none. */
    public Duration maxAgeOf(String type) {
        return maxAgeByType.getOrDefault(type, maxAge);
    }

    private static Duration nonNegative(String key, Duration d) {
        if (d.isNegative()) {
            throw new ConfigException(key + " must not be negative, got " + d);
        }
        return d;
    }

    @Override
    public String toString() {
        return "WorkerConfig[nats=" + natsUrls + ", prefix=" + subjects.prefix() + ", stream=" + eventsStream
                + ", deadLetterStream=" + deadLetterStream + ", consumer=" + consumer + ", maxInFlight=" + maxInFlight
                + ", ordered=" + ordered + ", shardCount=" + (shardCount == 0 ? "auto" : shardCount)
                + ", maxDeliveries=" + maxDeliveries + ", retryBackoff=" + retryBackoff + ", transientRetryLimit="
                + transientRetryLimit + ", ackWait=" + ackWait
                + ", maxAge=" + maxAge + ", maxAgeByType=" + maxAgeByType + ", drainTimeout=" + drainTimeout
                + ", slowHandler=" + slowHandler
                + ", metricsPort=" + metricsPort + ", restProxy=" + restProxyUrl
                + ", restProxySecret=" + (restProxySecret.isPresent() ? "(set)" : "(none)") + "]";
    }
}
