package dev.shardgate.proxy.rest.limit;

/**
 * Counts the answers Discord holds against this IP (401, 403 and non-shared 429) over a sliding 10 minutes,
 * in one-second slots, and opens before the count can reach Discord's 10,000: while open, the proxy forwards
 * nothing and answers itself. It closes again once the count has fallen to 80% of the threshold. Replicas that
 * cannot coordinate each count only their own answers, so each opens at its share of the threshold: together they
 * still stop short of it.
 *
 * <p>Owned by the limiter thread; not thread-safe.
 */
final class InvalidRequestBreaker {
    enum State { CLOSED, OPEN }

    static final long WINDOW_NANOS = 600L * 1_000_000_000L;
    private static final long SLOT_NANOS = 1_000_000_000L;
    private static final int SLOTS = (int) (WINDOW_NANOS / SLOT_NANOS);
    private static final System.Logger LOG = System.getLogger(InvalidRequestBreaker.class.getName());

    private final int fullThreshold;
    private int threshold;
    private final int[] counts = new int[SLOTS];
    private long currentSlot = Long.MIN_VALUE;
    private int total;
    private State state = State.CLOSED;

    InvalidRequestBreaker(int threshold) {
        this.fullThreshold = threshold;
        this.threshold = threshold;
    }

    /** This process's part of the threshold, as of every other limit (see {@link Limiter#setShare}). */
    void share(double share) {
        threshold = Math.max(1, (int) Math.floor(fullThreshold * share));
        update();
    }

    int threshold() {
        return threshold;
    }

    void record(long now) {
        advance(now);
        counts[Math.floorMod(currentSlot, SLOTS)]++;
        total++;
        update();
    }

    /** The invalid answers of the last 10 minutes. */
    int count(long now) {
        advance(now);
        update();
        return total;
    }

    State state(long now) {
        count(now);
        return state;
    }

    /** When the count will have fallen enough to close, assuming nothing new is counted (a lower bound). */
    long closesAt(long now) {
        advance(now);
        int need = total - closeBelow();
        long slot = currentSlot - SLOTS + 1;
        for (int i = 0; i < SLOTS && need > 0; i++, slot++) {
            need -= counts[Math.floorMod(slot, SLOTS)];
            if (need <= 0) {
                return (slot + SLOTS) * SLOT_NANOS;
            }
        }
        return now;
    }

    private int closeBelow() {
        return threshold * 8 / 10;
    }

    private void update() {
        State next = state;
        if (state == State.CLOSED && total >= threshold) {
            next = State.OPEN;
        } else if (state == State.OPEN && total <= closeBelow()) {
            next = State.CLOSED;
        }
        if (next != state) {
            LOG.log(next == State.OPEN ? System.Logger.Level.ERROR : System.Logger.Level.WARNING,
                    "invalid-request breaker {0} -> {1} ({2} invalid answers in 10 minutes, threshold {3})",
                    state, next, total, threshold);
            state = next;
        }
    }

    private void advance(long now) {
        long slot = Math.floorDiv(now, SLOT_NANOS);
        if (currentSlot == Long.MIN_VALUE) {
            currentSlot = slot;
            return;
        }
        long steps = Math.min(slot - currentSlot, SLOTS);
        for (long i = 1; i <= steps; i++) {
            int idx = Math.floorMod(currentSlot + i, SLOTS);
            total -= counts[idx];
            counts[idx] = 0;
        }
        currentSlot = Math.max(currentSlot, slot);
    }
}
