package dev.shardgate.simulator.rest;

/**
 * One rate-limit window as Discord advertises it: it opens at the first request after the previous one
 * reset, admits {@code limit} requests, and resets {@code window} later. Not thread-safe: its owner
 * guards it.
 */
final class FixedWindow implements BucketWindow {
    private final RateLimit limit;
    private long resetAtMillis = Long.MIN_VALUE;
    private int used;

    FixedWindow(RateLimit limit) {
        this.limit = limit;
    }

    @Override
    public WindowState tryAcquire(long nowMillis) {
        roll(nowMillis);
        boolean admitted = used < limit.limit();
        if (admitted) {
            used++;
        }
        return new WindowState(admitted, limit.limit(), limit.limit() - used, resetAtMillis, resetAtMillis, nowMillis);
    }

    @Override
    public boolean idle(long nowMillis) {
        return nowMillis >= resetAtMillis;
    }

    private void roll(long nowMillis) {
        if (nowMillis >= resetAtMillis) {
            resetAtMillis = nowMillis + limit.window().toMillis();
            used = 0;
        }
    }
}
