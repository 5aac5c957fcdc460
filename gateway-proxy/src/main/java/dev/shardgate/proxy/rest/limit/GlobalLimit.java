package dev.shardgate.proxy.rest.limit;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * One token's global limit as a sliding log. A slot is taken when a request is sent (never while it waits for
 * its bucket) and held until one window after its answer came back. Discord counts a request when it arrives,
 * which is somewhere between our send and our answer; anchoring on the answer means two uses of one slot always
 * arrive at least a window apart, so at most {@code limit} requests arrive in any window, however the network
 * delays them and however Discord aligns its own windows.
 *
 * <p>Owned by the limiter thread; not thread-safe.
 */
final class GlobalLimit {
    private final long windowNanos;
    /** Answer times of the slots still held, oldest first. */
    private final ArrayDeque<Long> answered = new ArrayDeque<>();
    private int inFlight;
    private int limit;

    GlobalLimit(int limit, long windowNanos) {
        this.limit = limit;
        this.windowNanos = windowNanos;
    }

    int limit() {
        return limit;
    }

    /** When the next send is allowed: {@code now}, later, or {@code Long.MAX_VALUE} until an answer arrives. */
    long nextFree(long now) {
        expire(now);
        int excess = inFlight + answered.size() - limit;
        if (excess < 0) {
            return now;
        }
        if (excess >= answered.size()) {
            return Long.MAX_VALUE;
        }
        Iterator<Long> it = answered.iterator();
        for (int i = 0; i < excess; i++) {
            it.next();
        }
        return it.next() + windowNanos;
    }

    /** Slots taken: in flight, or answered less than a window ago. */
    int inUse(long now) {
        expire(now);
        return inFlight + answered.size();
    }

    void take() {
        inFlight++;
    }

    /** The request was answered (or given up on) at {@code now}: its slot is held one more window. */
    void answered(long now) {
        inFlight--;
        answered.addLast(now);
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
        while (!answered.isEmpty() && answered.peekFirst() + windowNanos <= now) {
            answered.pollFirst();
        }
    }
}
