package dev.shardgate.proxy.rest.limit;

import dev.shardgate.proxy.rest.route.BucketKey;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.PriorityQueue;

/**
 * One per-route limit ({@link BucketKey}) as a set of slots: {@code limit} slots are each free, in flight, or
 * used and due back at a known time. A slot used by a request comes back at the reset its answer announced
 * ({@code Reset-After}, relative, plus a margin); slots free up one by one, so the model holds whether Discord
 * resets the whole window at once or lets it slide. Every answer is reconciled: Discord's {@code Remaining}
 * caps the free slots. Until the first answer tells the limit, one request is in flight at a time.
 *
 * <p>Owned by the limiter thread; not thread-safe.
 */
final class Bucket {
    static final int UNKNOWN = -1;
    private static final long DEFAULT_WINDOW = 1_000_000_000L;

    BucketKey key;
    final ArrayDeque<Waiter> queue = new ArrayDeque<>();
    private int limit = UNKNOWN;
    /** May be negative after Discord lowered the limit: a debt repaid by returning slots. */
    private int free;
    private int inFlight;
    private final PriorityQueue<Long> returns = new PriorityQueue<>();
    private long blockedUntil = Long.MIN_VALUE;
    /** The longest {@code Reset-After} seen: how long a slot whose answer never came is held. */
    private long windowNanos = DEFAULT_WINDOW;
    /** The part of the limit this process may use (replicas that cannot coordinate split it). */
    private double share = 1.0;
    private Scheduler.Cancellable wakeup;
    private long wakeupAt = Long.MAX_VALUE;

    Bucket(BucketKey key) {
        this.key = key;
    }

    int limit() {
        return limit;
    }

    int inFlight() {
        return inFlight;
    }

    /** Free slots now (what Discord would call remaining), or {@link #UNKNOWN} before the first answer. */
    int remaining(long now) {
        refill(now);
        return limit == UNKNOWN ? UNKNOWN : Math.max(0, free);
    }

    /** Whether a 429 for this bucket holds every request back until its Retry-After. */
    boolean isBlocked(long now) {
        return now < blockedUntil;
    }

    boolean canSend(long now) {
        refill(now);
        if (now < blockedUntil) {
            return false;
        }
        return limit == UNKNOWN ? inFlight == 0 : free > reserved();
    }

    void share(double share) {
        this.share = share;
    }

    /** Slots left to other processes: never used here, so the shares add up to at most the limit. */
    private int reserved() {
        return limit - (int) Math.floor(limit * share);
    }

    /** When {@link #canSend} may turn true without an answer arriving, or {@code Long.MAX_VALUE}. */
    long nextChange(long now) {
        refill(now);
        if (now < blockedUntil) {
            return blockedUntil;
        }
        if (limit == UNKNOWN || returns.isEmpty()) {
            return Long.MAX_VALUE;
        }
        return returns.peek();
    }

    void reserve() {
        inFlight++;
        if (limit != UNKNOWN) {
            free--;
        }
    }

    /** The request was never sent: its slot is free again at once. */
    void unsent() {
        inFlight--;
        if (limit != UNKNOWN) {
            free++;
        }
    }

    /** The request may have reached Discord but no usable answer came: hold its slot for a whole window. */
    void lost(long now, long margin) {
        inFlight--;
        if (limit != UNKNOWN) {
            returns.add(now + windowNanos + margin);
        }
    }

    /** Applies an answer that carried the bucket headers. */
    void answered(long now, Answer a, long margin) {
        inFlight--;
        int newLimit = a.limit().getAsInt();
        int remaining = Math.min(a.remaining().getAsInt(), newLimit);
        long resetAfter = Math.round(a.resetAfterSeconds().getAsDouble() * 1e9);
        long resetAt = now + resetAfter + margin;
        windowNanos = limit == UNKNOWN && resetAfter > 0 ? resetAfter : Math.max(windowNanos, resetAfter);
        if (limit == UNKNOWN) {
            // First answer: Discord's count is all we know; every used slot comes back at this reset.
            limit = newLimit;
            free = remaining - inFlight;
            for (int i = remaining; i < newLimit; i++) {
                returns.add(resetAt);
            }
            return;
        }
        returns.add(resetAt);
        int accounted = free + inFlight + returns.size();
        for (int i = accounted; i < newLimit; i++) {
            returns.add(resetAt);
        }
        if (newLimit < accounted) {
            free -= accounted - newLimit;
        }
        limit = newLimit;
        if (free > remaining) {
            for (int i = remaining; i < free; i++) {
                returns.add(resetAt);
            }
            free = remaining;
        }
    }

    /**
     * Forgets what the model knew of the bucket's window: another process may have used it since. Until an answer
     * tells the bucket's remaining again it sends one request at a time; requests in flight stay counted, and their
     * answers are that first answer.
     */
    void forget() {
        limit = UNKNOWN;
        free = 0;
        returns.clear();
    }

    /**
     * Nothing is sent before {@code until} (a 429 for this bucket). With {@code exhausted}, Discord said the
     * bucket is used up, so the slots the model thought free come back only then.
     */
    void block(long until, boolean exhausted) {
        blockedUntil = Math.max(blockedUntil, until);
        if (exhausted && limit != UNKNOWN && free > 0) {
            for (int i = 0; i < free; i++) {
                returns.add(until);
            }
            free = 0;
        }
    }

    /**
     * A lower bound on when the request at {@code position} in the queue can be sent, or {@code Long.MAX_VALUE}
     * when the model cannot tell yet.
     */
    long earliestSend(int position, long now) {
        refill(now);
        long base = Math.max(now, blockedUntil);
        if (limit == UNKNOWN) {
            return position == 0 && inFlight == 0 ? base : Long.MAX_VALUE;
        }
        int k = position - (free - reserved());
        if (k < 0) {
            return base;
        }
        long[] due = returns.stream().mapToLong(Long::longValue).toArray();
        if (k < due.length) {
            Arrays.sort(due);
            return Math.max(base, due[k]);
        }
        // Beyond the slots known to come back, at most a bucketful is sent per window.
        return base + (k - due.length) / Math.max(1, limit) * windowNanos;
    }

    /** Idle: nobody waits, nothing in flight, every slot back. Safe to forget. */
    boolean isIdle(long now) {
        refill(now);
        return queue.isEmpty() && inFlight == 0 && returns.isEmpty() && now >= blockedUntil;
    }

    /** Arms the single wake-up timer for {@code at} unless an earlier one is armed. */
    void wakeAt(long at, Scheduler scheduler, Runnable task) {
        if (at == Long.MAX_VALUE || at >= wakeupAt) {
            return;
        }
        if (wakeup != null) {
            wakeup.cancel();
        }
        wakeupAt = at;
        wakeup = scheduler.schedule(() -> {
            wakeup = null;
            wakeupAt = Long.MAX_VALUE;
            task.run();
        }, at - scheduler.nanoTime());
    }

    private void refill(long now) {
        while (!returns.isEmpty() && returns.peek() <= now) {
            returns.poll();
            free++;
        }
    }

    @Override
    public String toString() {
        return key + "[limit=" + limit + ", free=" + free + ", inFlight=" + inFlight + ", due=" + returns.size()
                + ", queued=" + queue.size() + "]";
    }
}
