package dev.shardgate.proxy.rest.limit;

import java.util.ArrayDeque;

/**
 * The spread (slowest − fastest) of the last {@value #SAMPLES} round trips from a request's departure toward Discord
 * to its answer: a bound on how much the way there can differ between two requests (a round trip is the way there,
 * Discord's work and the way back, so when the parts vary independently the whole spreads at least as much as its
 * first part). The global limit widens its window by it; until {@value #MIN_SAMPLES} round trips are known there is
 * no spread to trust (the first burst of a start, every connection being opened at once, spreads its ways there
 * more than its first answers show: with 16 samples a local burst of 300 requests drew up to 5 global 429s).
 *
 * <p>Two monotonic deques give the window's minimum and maximum in O(1) amortised per sample. Limiter thread only.
 */
final class RoundTrips {
    static final int SAMPLES = 128;
    static final int MIN_SAMPLES = 64;
    private final long[] ring = new long[SAMPLES];
    private long count;
    /** Indices into the sample sequence whose values are increasing (front: the window's minimum). */
    private final ArrayDeque<Long> mins = new ArrayDeque<>();
    /** Indices whose values are decreasing (front: the window's maximum). */
    private final ArrayDeque<Long> maxs = new ArrayDeque<>();

    void add(long nanos) {
        long index = count++;
        ring[(int) (index % SAMPLES)] = nanos;
        while (!mins.isEmpty() && value(mins.peekLast()) >= nanos) {
            mins.pollLast();
        }
        mins.addLast(index);
        while (!maxs.isEmpty() && value(maxs.peekLast()) <= nanos) {
            maxs.pollLast();
        }
        maxs.addLast(index);
        long oldest = count - SAMPLES;
        while (mins.peekFirst() < oldest) {
            mins.pollFirst();
        }
        while (maxs.peekFirst() < oldest) {
            maxs.pollFirst();
        }
    }

    /** Slowest minus fastest of the recent round trips, or -1 while too few are known. */
    long spread() {
        return count < MIN_SAMPLES ? -1 : value(maxs.peekFirst()) - value(mins.peekFirst());
    }

    private long value(long index) {
        return ring[(int) (index % SAMPLES)];
    }
}
