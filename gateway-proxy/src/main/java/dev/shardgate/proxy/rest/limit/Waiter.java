package dev.shardgate.proxy.rest.limit;

import java.util.concurrent.CompletableFuture;

/** A ticket inside the limiter, from acquire until its permit is granted or it is turned away. Limiter thread only. */
final class Waiter {
    enum Stage { NEW, DELAYED, BUCKET, GLOBAL, GRANTED, DONE }

    final Ticket ticket;
    final TokenLimits token;
    final CompletableFuture<Permit> future = new CompletableFuture<>();
    final long arrived;
    /** When its permit was granted. */
    long grantedAt;
    /**
     * When the request was committed toward Discord (on the same clock), or 0 if its holder did not say: written on
     * the HTTP client's thread, read on the limiter's thread when the permit ends.
     */
    volatile long sentAt;
    Stage stage = Stage.NEW;
    /** The bucket it waits in or holds a slot of; null for a route without a per-route limit. */
    Bucket bucket;
    boolean holdsSlot;
    /** Whether it holds a slot of its token's global limit (taken when the permit was granted). */
    boolean holdsGlobal;
    /** The queue-depth gauge it counts toward while in a bucket's queue. */
    java.util.concurrent.atomic.AtomicInteger depth;
    boolean probe;
    Scheduler.Cancellable deadlineTimer;
    Scheduler.Cancellable delayTimer;

    Waiter(Ticket ticket, TokenLimits token, long arrived) {
        this.ticket = ticket;
        this.token = token;
        this.arrived = arrived;
    }

    void cancelTimers() {
        if (deadlineTimer != null) {
            deadlineTimer.cancel();
            deadlineTimer = null;
        }
        if (delayTimer != null) {
            delayTimer.cancel();
            delayTimer = null;
        }
    }
}
