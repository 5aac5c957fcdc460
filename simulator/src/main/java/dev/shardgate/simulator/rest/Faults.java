package dev.shardgate.simulator.rest;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * Faults injected by tests and benchmarks: {@code shared} 429s on a resource, 5xx answers or dropped
 * connections for the next requests of an endpoint, and slow answers. Set from test threads and read from
 * HTTP handler threads; state guarded by this object's monitor.
 */
public final class Faults {
    private static final System.Logger LOG = System.getLogger(Faults.class.getName());

    private final Clock clock;
    private final Map<String, Long> sharedUntil = new HashMap<>();
    private final Map<Endpoint, Failure> failures = new EnumMap<>(Endpoint.class);
    private final Map<Endpoint, Duration> latencies = new EnumMap<>(Endpoint.class);
    private Duration latency = Duration.ZERO;
    /** The spread above {@link #latency} of a random extra delay per answer (uniform), zero for a fixed latency. */
    private Duration latencySpread = Duration.ZERO;

    Faults(Clock clock) {
        this.clock = clock;
    }

    /**
     * Makes the resource answer 429 with {@code X-RateLimit-Scope: shared} for {@code duration}, whoever asks.
     *
     * @param resource a major parameter value as in {@link BucketKey}: {@code channel:123}, {@code guild:456},
     *     {@code webhook:789:token}
     */
    public synchronized void sharedLimit(String resource, Duration duration) {
        sharedUntil.put(resource, clock.millis() + duration.toMillis());
        LOG.log(Level.INFO, "injected a shared rate limit on {0} for {1} ms", resource,
                Long.toString(duration.toMillis()));
    }

    /** Answers the next {@code count} requests to {@code endpoint} with {@code status} (a 5xx, usually 502). */
    public synchronized void failNext(Endpoint endpoint, int count, int status) {
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("an injected failure needs a 4xx or 5xx status: " + status);
        }
        failures.put(endpoint, new Failure(count, status));
        LOG.log(Level.INFO, "the next {0} requests to {1} will get {2}", Integer.toString(count), endpoint,
                Integer.toString(status));
    }

    /** Closes the connection without an answer for the next {@code count} requests to {@code endpoint}. */
    public synchronized void dropNext(Endpoint endpoint, int count) {
        failures.put(endpoint, new Failure(count, Failure.DROP));
        LOG.log(Level.INFO, "the next {0} requests to {1} will lose their connection",
                Integer.toString(count), endpoint);
    }

    /** Delays every answer by {@code delay} (before any per-endpoint latency is looked up). */
    public synchronized void latency(Duration delay) {
        latency(delay, delay);
    }

    /**
     * Delays every answer by a time drawn uniformly from {@code min}–{@code max}, each answer its own: a network
     * some distance away. The request is counted against the limits when it arrives, before the delay, as Discord
     * counts it; so all of the round trip lies after the count, the way back.
     */
    public synchronized void latency(Duration min, Duration max) {
        if (max.compareTo(min) < 0 || min.isNegative()) {
            throw new IllegalArgumentException("need 0 <= min <= max, got " + min + " and " + max);
        }
        latency = min;
        latencySpread = max.minus(min);
    }

    /** Delays the answers of one endpoint by {@code delay}, instead of the general latency. */
    public synchronized void latency(Endpoint endpoint, Duration delay) {
        latencies.put(endpoint, delay);
    }

    /** Removes every injected fault. */
    public synchronized void clear() {
        sharedUntil.clear();
        failures.clear();
        latencies.clear();
        latency = Duration.ZERO;
        latencySpread = Duration.ZERO;
    }

    synchronized long sharedRemainingMillis(String resource, long nowMillis) {
        Long until = sharedUntil.get(resource);
        if (until == null) {
            return 0;
        }
        if (nowMillis >= until) {
            sharedUntil.remove(resource);
            return 0;
        }
        return until - nowMillis;
    }

    /** Takes one injected failure of the endpoint: an HTTP status, {@link Failure#DROP}, or 0 for none. */
    synchronized int takeFailure(Endpoint endpoint) {
        Failure failure = failures.get(endpoint);
        if (failure == null) {
            return 0;
        }
        if (failure.remaining() <= 1) {
            failures.remove(endpoint);
        } else {
            failures.put(endpoint, new Failure(failure.remaining() - 1, failure.status()));
        }
        return failure.status();
    }

    synchronized Duration latency() {
        return latencySpread.isZero() ? latency
                : latency.plusNanos(java.util.concurrent.ThreadLocalRandom.current().nextLong(latencySpread.toNanos() + 1));
    }

    synchronized Duration latencyOf(Endpoint endpoint) {
        Duration own = latencies.get(endpoint);
        return own != null ? own : latency();
    }

    record Failure(int remaining, int status) {
        static final int DROP = -1;
    }
}
