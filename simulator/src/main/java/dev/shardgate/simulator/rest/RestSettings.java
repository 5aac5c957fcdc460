package dev.shardgate.simulator.rest;

import java.time.Duration;

/**
 * The REST simulator's limits that are not per route, with Discord's documented defaults.
 *
 * @param globalLimit requests per window per bot token (or per IP without {@code Authorization}); 50 per 1 s
 * @param invalidRequestThreshold invalid answers (401, 403, non-shared 429) per IP that trigger a ban; 10,000
 * @param invalidRequestWindow the sliding window those are counted over; 10 minutes
 * @param banDuration how long a Cloudflare-style ban lasts; 1 hour (the length usually reported)
 * @param maxRequestBytes the largest request body; 25 MiB
 * @param maxFileBytes the largest uploaded file; 10 MiB
 * @param checkInteractionTokens whether interaction callbacks need a token naming their interaction and must
 *     come within 3 s of it (else 10062), and follow-ups within 15 min (else 50027); off by default, so
 *     tests may call with made-up ids and tokens
 */
public record RestSettings(RateLimit globalLimit, int invalidRequestThreshold, Duration invalidRequestWindow,
                           Duration banDuration, long maxRequestBytes, long maxFileBytes,
                           boolean checkInteractionTokens) {
    public static final long MIB = 1024L * 1024L;

    public RestSettings {
        if (invalidRequestThreshold <= 0) {
            throw new IllegalArgumentException("invalid request threshold must be positive: "
                    + invalidRequestThreshold);
        }
        if (invalidRequestWindow.isNegative() || invalidRequestWindow.isZero() || banDuration.isNegative()) {
            throw new IllegalArgumentException("windows must be positive");
        }
        if (maxFileBytes <= 0 || maxRequestBytes < maxFileBytes) {
            throw new IllegalArgumentException("need 0 < maxFileBytes <= maxRequestBytes");
        }
    }

    public static RestSettings defaults() {
        return new RestSettings(new RateLimit(50, Duration.ofSeconds(1)), 10_000, Duration.ofMinutes(10),
                Duration.ofHours(1), 25 * MIB, 10 * MIB, false);
    }

    public RestSettings withGlobalLimit(int limit) {
        return new RestSettings(new RateLimit(limit, globalLimit.window()), invalidRequestThreshold,
                invalidRequestWindow, banDuration, maxRequestBytes, maxFileBytes, checkInteractionTokens);
    }

    public RestSettings withInvalidRequestBan(int threshold, Duration window, Duration ban) {
        return new RestSettings(globalLimit, threshold, window, ban, maxRequestBytes, maxFileBytes,
                checkInteractionTokens);
    }

    public RestSettings withInteractionTokenChecks(boolean check) {
        return new RestSettings(globalLimit, invalidRequestThreshold, invalidRequestWindow, banDuration,
                maxRequestBytes, maxFileBytes, check);
    }
}
