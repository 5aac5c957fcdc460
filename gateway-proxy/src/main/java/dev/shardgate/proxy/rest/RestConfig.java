package dev.shardgate.proxy.rest;

import dev.shardgate.config.ConfigException;
import dev.shardgate.config.ConfigSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The REST role's own settings, read once from the process's {@link ConfigSource} and validated.
 *
 * @param globalLimit requests per second per token ({@code REST_GLOBAL_LIMIT}), Discord's global limit
 * @param tokenGlobalLimits {@code REST_TOKEN_GLOBAL_LIMITS}: global limits of particular tokens, by fingerprint (the
 *     16 hex digits the logs, {@code /status} and the status page name a token by), for bots whose limit Discord
 *     raised, e.g. {@code 1f2e3d4c5b6a7988=1200}; every other token has {@code globalLimit}
 * @param tokenMax {@code REST_TOKEN_MAX}: how many tokens the limiter keeps state for; beyond it the least recently
 *     used idle one is forgotten (nothing waiting, in flight, or held in a limit)
 * @param maxWait the longest a request may wait in the proxy ({@code REST_MAX_WAIT}); empty (the default): as long
 *     as its client waits, so that a burst is paced out rather than refused. A client can ask for a limit of its own
 *     with the {@value RestHeaders#MAX_WAIT} header
 * @param queueMax {@code REST_QUEUE_MAX}: requests this replica holds at once (body being read, waiting for a permit
 *     or being sent); beyond it a request is answered 503 {@code queue_full}. Each costs a few KB besides its body
 * @param queueMaxPerBucket {@code REST_QUEUE_MAX_PER_BUCKET}: requests waiting in one bucket's queue, so that one hot
 *     channel cannot take every place
 * @param queueMaxBytes {@code REST_QUEUE_MAX_MB} in bytes: request bodies this replica holds at once, in memory or
 *     spooled (a declared length counts from the body's start)
 * @param secret {@code REST_PROXY_SECRET}: when present, every client must send it in {@value RestHeaders#SECRET}
 * @param invalidRequestLimit {@code REST_INVALID_REQUEST_LIMIT}: 401/403/non-shared-429 answers in 10 minutes at
 *     which the breaker stops forwarding (Discord bans the IP at 10,000)
 * @param resetMargin {@code REST_RESET_MARGIN}: added to every reset and to the global window, for network
 *     and clock slack
 * @param upstreamTimeout {@code REST_UPSTREAM_TIMEOUT}: the longest one exchange with Discord may take
 * @param headerTimeout {@code REST_HEADER_TIMEOUT}: the longest a client may take to send a request's line and
 *     headers, from its first byte (or from connecting, for a connection's first request)
 * @param bodyTimeout {@code REST_BODY_TIMEOUT}: the longest a client may take to send its request body, from the end
 *     of its headers
 * @param maxConnections {@code REST_MAX_CONNECTIONS}: client connections open at once; beyond, new ones are not
 *     accepted until one closes
 * @param spoolDir {@code REST_SPOOL_DIR}: where request bodies above {@value RequestBody#SPOOL_ABOVE} bytes are kept
 *     while their request lasts
 * @param retries {@code REST_RETRIES}: extra attempts for an idempotent request after a 5xx or network error
 * @param maxBodyBytes {@code REST_MAX_BODY}: the largest request body accepted (Discord's 25 MiB per request)
 * @param tokenProbeInterval {@code REST_TOKEN_PROBE_INTERVAL}: after a 401 locks a token, how often one request
 *     is let through as a probe
 * @param shareLimits {@code REST_SHARE_LIMITS}: replicas share one view of the limits through NATS
 * @param shareTimeout {@code REST_SHARE_TIMEOUT}: how long a replica waits for the shared limiter before it
 *     falls back to its conservative local share
 * @param expectedReplicas {@code REST_REPLICAS}: the replicas that normally run, the least number the limits are
 *     split for (the live membership raises it, e.g. during a surge rollout)
 */
public record RestConfig(
        int globalLimit,
        Map<String, Integer> tokenGlobalLimits,
        int tokenMax,
        Optional<Duration> maxWait,
        Optional<String> secret,
        int invalidRequestLimit,
        Duration resetMargin,
        Duration upstreamTimeout,
        Duration headerTimeout,
        Duration bodyTimeout,
        int maxConnections,
        Path spoolDir,
        int retries,
        long maxBodyBytes,
        Duration tokenProbeInterval,
        boolean shareLimits,
        Duration shareTimeout,
        int expectedReplicas,
        int queueMax,
        int queueMaxPerBucket,
        long queueMaxBytes) {

    /** Discord's cap on one request's body: 25 MiB. */
    public static final long DISCORD_MAX_BODY = 25L * 1024 * 1024;

    public RestConfig {
        require(globalLimit >= 1, "REST_GLOBAL_LIMIT must be at least 1, got " + globalLimit);
        require(maxWait.map(RestConfig::positive).orElse(true), "REST_MAX_WAIT must be positive or none, got "
                + maxWait.orElse(null));
        require(secret.map(s -> s.length() >= 16).orElse(true),
                "REST_PROXY_SECRET must be at least 16 characters long");
        require(invalidRequestLimit >= 1 && invalidRequestLimit < 10_000,
                "REST_INVALID_REQUEST_LIMIT must be between 1 and 9999 (Discord bans at 10,000), got "
                        + invalidRequestLimit);
        require(!resetMargin.isNegative() && resetMargin.compareTo(Duration.ofSeconds(1)) <= 0,
                "REST_RESET_MARGIN must be between 0 and 1s, got " + resetMargin);
        require(positive(upstreamTimeout), "REST_UPSTREAM_TIMEOUT must be positive, got " + upstreamTimeout);
        require(positive(headerTimeout), "REST_HEADER_TIMEOUT must be positive, got " + headerTimeout);
        require(positive(bodyTimeout), "REST_BODY_TIMEOUT must be positive, got " + bodyTimeout);
        require(maxConnections >= 1, "REST_MAX_CONNECTIONS must be at least 1, got " + maxConnections);
        require(spoolDir != null && Files.isDirectory(spoolDir) && Files.isWritable(spoolDir),
                "REST_SPOOL_DIR must be a writable directory, got " + spoolDir);
        require(retries >= 0 && retries <= 10, "REST_RETRIES must be between 0 and 10, got " + retries);
        require(maxBodyBytes >= 1 && maxBodyBytes <= DISCORD_MAX_BODY,
                "REST_MAX_BODY must be between 1 byte and 25 MiB, got " + maxBodyBytes);
        require(positive(tokenProbeInterval), "REST_TOKEN_PROBE_INTERVAL must be positive");
        require(positive(shareTimeout), "REST_SHARE_TIMEOUT must be positive");
        require(expectedReplicas >= 1, "REST_REPLICAS must be at least 1, got " + expectedReplicas);
        require(queueMax >= 1, "REST_QUEUE_MAX must be at least 1, got " + queueMax);
        require(queueMaxPerBucket >= 1 && queueMaxPerBucket <= queueMax,
                "REST_QUEUE_MAX_PER_BUCKET must be between 1 and REST_QUEUE_MAX (" + queueMax + "), got "
                        + queueMaxPerBucket);
        require(queueMaxBytes >= maxBodyBytes, "REST_QUEUE_MAX_MB must hold at least one body of REST_MAX_BODY ("
                + maxBodyBytes + " bytes), got " + queueMaxBytes + " bytes");
    }

    public static RestConfig from(ConfigSource src) {
        if (src.get("REST_CLIENT_TIMEOUT").isPresent()) {
            throw new ConfigException("REST_CLIENT_TIMEOUT is now REST_BODY_TIMEOUT (and REST_HEADER_TIMEOUT bounds the "
                    + "headers); rename it");
        }
        return new RestConfig(
                src.integer("REST_GLOBAL_LIMIT", 50, 1, 100_000),
                tokenGlobalLimits(src),
                src.integer("REST_TOKEN_MAX", 10_000, 10, 10_000_000),
                maxWait(src),
                src.get("REST_PROXY_SECRET"),
                src.integer("REST_INVALID_REQUEST_LIMIT", 5_000, 1, 9_999),
                src.duration("REST_RESET_MARGIN", Duration.ofMillis(25)),
                src.duration("REST_UPSTREAM_TIMEOUT", Duration.ofSeconds(15)),
                src.duration("REST_HEADER_TIMEOUT", Duration.ofSeconds(10)),
                src.duration("REST_BODY_TIMEOUT", Duration.ofSeconds(30)),
                src.integer("REST_MAX_CONNECTIONS", 10_000, 1, 1_000_000),
                Path.of(src.string("REST_SPOOL_DIR", System.getProperty("java.io.tmpdir"))),
                src.integer("REST_RETRIES", 2, 0, 10),
                src.integer("REST_MAX_BODY", (int) DISCORD_MAX_BODY, 1, (int) DISCORD_MAX_BODY),
                src.duration("REST_TOKEN_PROBE_INTERVAL", Duration.ofSeconds(30)),
                src.bool("REST_SHARE_LIMITS", false),
                src.duration("REST_SHARE_TIMEOUT", Duration.ofMillis(500)),
                src.integer("REST_REPLICAS", 2, 1, 1_000),
                src.integer("REST_QUEUE_MAX", 10_000, 1, 1_000_000),
                src.integer("REST_QUEUE_MAX_PER_BUCKET", 5_000, 1, 1_000_000),
                src.integer("REST_QUEUE_MAX_MB", 256, 25, 1_000_000) * 1024L * 1024);
    }

    /** {@code REST_TOKEN_GLOBAL_LIMITS}: {@code fingerprint=limit} pairs, comma-separated; unset for none. */
    private static Map<String, Integer> tokenGlobalLimits(ConfigSource src) {
        String raw = src.string("REST_TOKEN_GLOBAL_LIMITS", "").strip();
        Map<String, Integer> limits = new TreeMap<>();
        if (raw.isEmpty()) {
            return Map.of();
        }
        String[] entries = raw.split(",", -1);
        for (int i = 0; i < entries.length; i++) {
            String[] kv = entries[i].strip().split("=", 2);
            if (kv.length != 2 || !kv[0].strip().matches("[0-9a-f]{16}")) {
                // Not echoed: it may be a token written where its fingerprint belongs.
                throw new ConfigException("REST_TOKEN_GLOBAL_LIMITS entry " + (i + 1) + " is not <fingerprint>=<limit>"
                        + " with the token's 16 hex digit fingerprint (as the logs and /status name it)");
            }
            int limit;
            try {
                limit = Integer.parseInt(kv[1].strip());
            } catch (NumberFormatException e) {
                limit = 0;
            }
            require(limit >= 1 && limit <= 100_000, "REST_TOKEN_GLOBAL_LIMITS: the limit of " + kv[0].strip()
                    + " must be between 1 and 100000, got '" + kv[1].strip() + "'");
            require(limits.put(kv[0].strip(), limit) == null, "REST_TOKEN_GLOBAL_LIMITS names " + kv[0].strip()
                    + " twice");
        }
        return Map.copyOf(limits);
    }

    /** {@code REST_MAX_WAIT}: unset, empty or {@code none} for no limit of the proxy's own. */
    private static Optional<Duration> maxWait(ConfigSource src) {
        return src.get("REST_MAX_WAIT").map(String::strip).filter(v -> !v.isEmpty() && !v.equalsIgnoreCase("none"))
                .map(v -> src.duration("REST_MAX_WAIT", Duration.ZERO));
    }

    private static boolean positive(Duration d) {
        return d != null && !d.isNegative() && !d.isZero();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new ConfigException(message);
        }
    }

    @Override
    public String toString() {
        return "RestConfig[globalLimit=" + globalLimit + ", tokenGlobalLimits=" + tokenGlobalLimits + ", tokenMax="
                + tokenMax + ", maxWait=" + maxWait.map(Duration::toString).orElse("none")
                + ", queueMax=" + queueMax + ", queueMaxPerBucket=" + queueMaxPerBucket + ", queueMaxBytes="
                + queueMaxBytes + ", secret="
                + (secret.isPresent() ? "set" : "none") + ", invalidRequestLimit=" + invalidRequestLimit
                + ", resetMargin=" + resetMargin + ", upstreamTimeout=" + upstreamTimeout + ", headerTimeout=" + headerTimeout
                + ", bodyTimeout=" + bodyTimeout + ", maxConnections=" + maxConnections + ", spoolDir=" + spoolDir
                + ", retries=" + retries
                + ", maxBodyBytes=" + maxBodyBytes + ", tokenProbeInterval=" + tokenProbeInterval
                + ", shareLimits=" + shareLimits + ", shareTimeout=" + shareTimeout
                + ", expectedReplicas=" + expectedReplicas + "]";
    }
}
