package dev.shardgate.simulator.rest;

/** One bucket's (or one identity's global) count of requests. Not thread-safe: its owner guards it. */
sealed interface BucketWindow permits FixedWindow, SlidingWindow {
    static BucketWindow of(RateLimit limit) {
        return limit.sliding() ? new SlidingWindow(limit) : new FixedWindow(limit);
    }

    /** Takes one slot if there is one; either way the returned state describes the window afterwards. */
    WindowState tryAcquire(long nowMillis);

    /** Whether the window holds nothing, so its owner may forget it. */
    boolean idle(long nowMillis);
}
