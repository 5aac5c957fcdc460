package dev.shardgate.simulator.rest;

import java.util.ArrayDeque;

/**
 * A sliding window: at most {@code limit} requests within any {@code window}, each one counting for exactly
 * {@code window} after it was admitted, so slots come back one by one rather than all at a reset. Its headers read
 * Discord's wording literally: {@code Remaining} is what the window has left now, {@code Reset-After} is when it is
 * whole again (its newest request has left it), and a 429's {@code retry_after} is when its oldest request leaves
 * it. Discord's documents describe buckets that reset (see docs/simulator-rest.md): this is the other model a
 * limiter must survive if a bucket slides. Not thread-safe: its owner guards it.
 */
final class SlidingWindow implements BucketWindow {
    private final RateLimit limit;
    /** When each request still in the window was admitted, oldest first. */
    private final ArrayDeque<Long> admitted = new ArrayDeque<>();

    SlidingWindow(RateLimit limit) {
        this.limit = limit;
    }

    @Override
    public WindowState tryAcquire(long nowMillis) {
        long window = limit.window().toMillis();
        while (!admitted.isEmpty() && admitted.peekFirst() + window <= nowMillis) {
            admitted.pollFirst();
        }
        boolean ok = admitted.size() < limit.limit();
        if (ok) {
            admitted.addLast(nowMillis);
        }
        long resetAt = admitted.isEmpty() ? nowMillis : admitted.peekLast() + window;
        long retryAt = admitted.size() < limit.limit() ? nowMillis : admitted.peekFirst() + window;
        return new WindowState(ok, limit.limit(), limit.limit() - admitted.size(), resetAt, retryAt, nowMillis);
    }

    @Override
    public boolean idle(long nowMillis) {
        return admitted.isEmpty() || admitted.peekLast() + limit.window().toMillis() <= nowMillis;
    }
}
