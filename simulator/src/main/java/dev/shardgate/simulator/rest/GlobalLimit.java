package dev.shardgate.simulator.rest;

import java.util.HashMap;
import java.util.Map;

/**
 * Discord's global limit: {@code limit} requests per window per bot token, or per client IP for requests
 * without {@code Authorization}. Called from every HTTP handler thread; state guarded by this object's monitor.
 */
final class GlobalLimit {
    private final RateLimit limit;
    private final Map<String, FixedWindow> windows = new HashMap<>();

    GlobalLimit(RateLimit limit) {
        this.limit = limit;
    }

    /** Takes one request from the identity's window; a refused state carries the time until it resets. */
    synchronized WindowState acquire(String identity, long nowMillis) {
        if (windows.size() > 10_000) {
            windows.values().removeIf(window -> window.idle(nowMillis));
        }
        return windows.computeIfAbsent(identity, k -> new FixedWindow(limit)).tryAcquire(nowMillis);
    }
}
