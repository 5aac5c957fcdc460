package dev.shardgate.simulator.rest;

import java.time.Duration;

/**
 * A limit of {@code limit} requests per {@code window}: a fixed window that resets (what Discord's documents
 * describe), or with {@code sliding} one in which each request counts for exactly {@code window} ({@link #sliding}).
 */
public record RateLimit(int limit, Duration window, boolean sliding) {
    public RateLimit(int limit, Duration window) {
        this(limit, window, false);
    }

    public static RateLimit sliding(int limit, Duration window) {
        return new RateLimit(limit, window, true);
    }

    public RateLimit {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window must be positive: " + window);
        }
    }
}
