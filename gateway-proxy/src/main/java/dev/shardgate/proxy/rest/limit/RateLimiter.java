package dev.shardgate.proxy.rest.limit;

import java.util.concurrent.CompletableFuture;

/** Where a request waits for its limits: this process's {@link Limiter}, or one shared by replicas. */
public interface RateLimiter {
    /** The clock that ticket deadlines are measured on. */
    long nanoTime();

    /**
     * Queues a request. The future completes with a permit when it may be sent, or fails with a
     * {@link Rejection}; cancelling it (the client left) takes the request out of the queue.
     */
    CompletableFuture<Permit> acquire(Ticket ticket);
}
