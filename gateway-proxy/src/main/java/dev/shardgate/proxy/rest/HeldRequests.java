package dev.shardgate.proxy.rest;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What bounds the memory of the requests this replica holds (from their body read until their answer is relayed):
 * at most {@code REST_QUEUE_MAX} of them, holding at most {@code REST_QUEUE_MAX_MB} of bodies. Waiting is the default
 * (a burst is paced out, not refused), so this, not a deadline, is what keeps a flood from exhausting the heap; a
 * request beyond it is answered 503 {@code queue_full} at once. Thread-safe, lock-free.
 */
final class HeldRequests {
    private final int maxRequests;
    private final long maxBytes;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();

    HeldRequests(int maxRequests, long maxBytes, MeterRegistry registry) {
        this.maxRequests = maxRequests;
        this.maxBytes = maxBytes;
        Gauge.builder("shardgate.rest.held.requests", requests, AtomicInteger::get)
                .description("requests the REST role holds (waiting for a permit or being sent)").register(registry);
        Gauge.builder("shardgate.rest.held.bytes", bytes, AtomicLong::get)
                .description("request bodies the REST role holds, in bytes").register(registry);
    }

    /** Takes a place for a request with this body, or returns false when the replica holds as many as it may. */
    boolean enter(long bodyBytes) {
        if (requests.incrementAndGet() > maxRequests) {
            requests.decrementAndGet();
            return false;
        }
        if (bytes.addAndGet(bodyBytes) > maxBytes) {
            bytes.addAndGet(-bodyBytes);
            requests.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Gives back the place {@link #enter} took. */
    void leave(long bodyBytes) {
        bytes.addAndGet(-bodyBytes);
        requests.decrementAndGet();
    }
}
