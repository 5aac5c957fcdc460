package dev.shardgate.simulator.rest;

import java.time.Duration;

/** A limit of {@code limit} requests per fixed {@code window}. */
public record RateLimit(int limit, Duration window) {
    public RateLimit {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window must be positive: " + window);
        }
    }
}
