package dev.shardgate.simulator.rest;

/**
 * One rate-limit window as Discord advertises it: it opens at the first request after the previous one
 * reset, admits {@code limit} requests, and resets {@code window} later. Not thread-safe: its owner
 * guards it.
 */
final class FixedWindow {
    private final RateLimit limit;
    private long resetAtMillis = Long.MIN_VALUE;
    private int used;

    FixedWindow(RateLimit limit) {
        this.limit = limit;
    }

    /** Takes one slot if there is one; either way the returned state describes the window afterwards. */
    WindowState tryAcquire(long nowMillis) {
        roll(nowMillis);
        boolean admitted = used < limit.limit();
        if (admitted) {
            used++;
        }
        return new WindowState(admitted, limit.limit(), limit.limit() - used, resetAtMillis, nowMillis);
    }

    /** Whether the window has reset and holds nothing, so its owner may forget it. */
    boolean idle(long nowMillis) {
        return nowMillis >= resetAtMillis;
    }

    private void roll(long nowMillis) {
        if (nowMillis >= resetAtMillis) {
            resetAtMillis = nowMillis + limit.window().toMillis();
            used = 0;
        }
    }

    /** A window's state at {@code nowMillis}: what the rate-limit headers say. */
    record WindowState(boolean admitted, int limit, int remaining, long resetAtMillis, long nowMillis) {
        long resetAfterMillis() {
            return Math.max(0, resetAtMillis - nowMillis);
        }
    }
}
