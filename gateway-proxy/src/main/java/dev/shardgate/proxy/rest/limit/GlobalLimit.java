package dev.shardgate.proxy.rest.limit;

import java.util.PriorityQueue;

/**
 * One token's global limit as a sliding log. A slot is taken when a request is granted (never while it waits for
 * its bucket) and held for one window after its <em>anchor</em>: the answer, or, once the spread of round trips is
 * known, the request's departure (its commit toward Discord; the grant when the holder did not say) plus that
 * spread less the margin the window carries.
 *
 * <p>What Discord counts: requests as they arrive, at most the limit in any second. A request arrives at
 * {@code departure + d}, where the way there {@code d} differs between requests by at most some spread {@code J}.
 * Take any limit + 1 requests arriving within one window, and the last of them to be granted, {@code z}: every other
 * {@code r} arrived at most a window before {@code z}, so {@code z} was granted (at or before its departure) less
 * than a window plus {@code J} after {@code r} departed, which is when {@code r}'s slot frees at the earliest; so
 * {@code z} found all limit slots taken, and could not have been granted. The window already carries
 * {@code REST_RESET_MARGIN}, so the anchor is {@code departure + max(0, J − margin)}, and never later than the
 * answer (the request had arrived by then). {@code J} is the spread of recent whole round trips
 * ({@link RoundTrips}), which can only overstate the one-way spread; while it is not known, and for a request whose
 * end was lost, the anchor is the answer: safe whatever the network does, at the cost of a round trip per slot (at
 * 100 ms, a tenth of the limit). The proxy's own delays before a departure only make arrivals later: they never
 * count.
 *
 * <p>Owned by the limiter thread; not thread-safe.
 */
final class GlobalLimit {
    private final long windowNanos;
    private final long marginNanos;
    /** Anchors of the slots still held, earliest first. */
    private final PriorityQueue<Long> anchors = new PriorityQueue<>();
    private int inFlight;
    private int limit;

    /**
     * @param windowNanos Discord's window plus the margin
     * @param marginNanos the margin inside {@code windowNanos}
     */
    GlobalLimit(int limit, long windowNanos, long marginNanos) {
        this.limit = limit;
        this.windowNanos = windowNanos;
        this.marginNanos = marginNanos;
    }

    int limit() {
        return limit;
    }

    /** When the next grant is allowed: {@code now}, later, or {@code Long.MAX_VALUE} until an answer arrives. */
    long nextFree(long now) {
        expire(now);
        int excess = inFlight + anchors.size() - limit;
        if (excess < 0) {
            return now;
        }
        if (excess >= anchors.size()) {
            return Long.MAX_VALUE;
        }
        if (excess == 0) {
            return anchors.peek() + windowNanos;
        }
        Long[] sorted = anchors.toArray(Long[]::new);
        java.util.Arrays.sort(sorted);
        return sorted[excess] + windowNanos;
    }

    /** Slots taken: in flight, or anchored less than a window ago. */
    int inUse(long now) {
        expire(now);
        return inFlight + anchors.size();
    }

    void take() {
        inFlight++;
    }

    /**
     * The request that departed at {@code departed} was answered at {@code now}; {@code spread} is the round trips'
     * spread, or negative when unknown.
     */
    void answered(long departed, long now, long spread) {
        inFlight--;
        anchors.add(spread < 0 ? now : Math.min(now, departed + Math.max(0, spread - marginNanos)));
    }

    /** The request's end is unknown (given up on at {@code now}): anchored there, the safe end. */
    void lost(long now) {
        inFlight--;
        anchors.add(now);
    }

    /** The request was never sent: its slot is free at once. */
    void unsent() {
        inFlight--;
    }

    /** A replica's share changes as replicas come and go; slots already held still count against a smaller one. */
    void resize(int newLimit) {
        limit = Math.max(1, newLimit);
    }

    private void expire(long now) {
        while (!anchors.isEmpty() && anchors.peek() + windowNanos <= now) {
            anchors.poll();
        }
    }
}
