package dev.shardgate.simulator.gateway;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * The per-connection send limit (discord-gateway.md §15): at most {@code limit} payloads from the client in any
 * rolling window, every op counted. A sliding log, so no window of that length can ever hold more.
 * Owned by the gateway loop thread.
 */
final class SendRateLimiter {
    private final Clock clock;
    private final int limit;
    private final long windowMillis;
    private final ArrayDeque<Long> sends = new ArrayDeque<>();

    SendRateLimiter(Clock clock, int limit, Duration window) {
        this.clock = clock;
        this.limit = limit;
        this.windowMillis = window.toMillis();
    }

    /** Records one received payload; false when it is over the limit. */
    boolean record() {
        long now = clock.millis();
        while (!sends.isEmpty() && sends.peekFirst() <= now - windowMillis) {
            sends.pollFirst();
        }
        sends.addLast(now);
        return sends.size() <= limit;
    }
}
