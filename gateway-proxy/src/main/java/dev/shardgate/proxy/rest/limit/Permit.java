package dev.shardgate.proxy.rest.limit;

import dev.shardgate.proxy.rest.route.Route;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Leave to send one request now. The holder must end it exactly once: {@link #complete} with Discord's answer,
 * {@link #unsent} if it never went out (its slot is given back at once), or {@link #lost} if it may have
 * reached Discord but no answer came (its slot is held for a whole window). Later calls are ignored.
 */
public final class Permit {
    private final Limiter limiter;
    final Waiter waiter;
    private final long waitedNanos;
    private final AtomicBoolean ended = new AtomicBoolean();

    Permit(Limiter limiter, Waiter waiter, long waitedNanos) {
        this.limiter = limiter;
        this.waiter = waiter;
        this.waitedNanos = waitedNanos;
    }

    public Route route() {
        return waiter.ticket.route();
    }

    /** How long the request waited in the limiter. */
    public long waitedNanos() {
        return waitedNanos;
    }

    public void complete(Answer answer) {
        if (ended.compareAndSet(false, true)) {
            limiter.onEnd(this, answer, Limiter.End.ANSWERED);
        }
    }

    public void unsent() {
        if (ended.compareAndSet(false, true)) {
            limiter.onEnd(this, null, Limiter.End.UNSENT);
        }
    }

    public void lost() {
        if (ended.compareAndSet(false, true)) {
            limiter.onEnd(this, null, Limiter.End.LOST);
        }
    }
}
