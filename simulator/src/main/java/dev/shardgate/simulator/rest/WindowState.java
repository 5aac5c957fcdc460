package dev.shardgate.simulator.rest;

/**
 * A rate-limit window's state at {@code nowMillis}, after a request: what the rate-limit headers say.
 *
 * @param resetAtMillis when the window is whole again ({@code X-RateLimit-Reset})
 * @param retryAtMillis when one more request would be admitted (a 429's {@code retry_after}); for a fixed window
 *                      that is the reset, for a sliding one the moment its oldest request leaves it
 */
record WindowState(boolean admitted, int limit, int remaining, long resetAtMillis, long retryAtMillis,
                   long nowMillis) {
    long resetAfterMillis() {
        return Math.max(0, resetAtMillis - nowMillis);
    }

    long retryAfterMillis() {
        return Math.max(0, retryAtMillis - nowMillis);
    }
}
