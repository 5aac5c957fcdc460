package dev.shardgate.proxy.rest;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What bounds the memory and spool space of the requests this replica holds (from the start of their body until
 * their answer is relayed): at most {@code REST_QUEUE_MAX} of them, holding at most {@code REST_QUEUE_MAX_MB} of
 * bodies, in memory or spooled. Waiting is the default (a burst is paced out, not refused), so this, not a deadline,
 * is what keeps a flood from exhausting the heap or the disk; a request beyond it is answered 503 {@code queue_full}
 * at once, before its body is read when it declares its length. Thread-safe, lock-free.
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
                .description("requests the REST role holds (body being read, waiting for a permit, or being sent)").register(registry);
        Gauge.builder("shardgate.rest.held.bytes", bytes, AtomicLong::get)
                .description("request bodies the REST role holds or has been told to expect, in memory or spooled, in bytes").register(registry);
    }

    /**
     * Takes a place for a request whose body is announced as {@code bodyBytes} (0 when unknown), or returns null when
     * the replica holds as many as it may.
     */
    Place enter(long bodyBytes) {
        if (requests.incrementAndGet() > maxRequests) {
            requests.decrementAndGet();
            return null;
        }
        if (bytes.addAndGet(bodyBytes) > maxBytes) {
            bytes.addAndGet(-bodyBytes);
            requests.decrementAndGet();
            return null;
        }
        return new Place(bodyBytes);
    }

    /** One request's place; owned by its request's thread. */
    final class Place implements AutoCloseable {
        private long held;

        private Place(long held) {
            this.held = held;
        }

        /** Grows the place to a body of {@code total} bytes (a body without a declared length); false if full. */
        boolean growTo(long total) {
            long more = total - held;
            if (more <= 0) {
                return true;
            }
            if (bytes.addAndGet(more) > maxBytes) {
                bytes.addAndGet(-more);
                return false;
            }
            held = total;
            return true;
        }

        /** Gives the place back. */
        @Override
        public void close() {
            bytes.addAndGet(-held);
            requests.decrementAndGet();
        }
    }
}
