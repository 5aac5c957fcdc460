package dev.shardgate.proxy.rest.limit;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The limiter's meters. Written by the limiter thread, read by the registry's scrapes, hence the atomics.
 * Queue depth is labelled by bucket hash (or route template while the hash is unknown), summed over major
 * parameters so that the label set stays bounded; past {@value #MAX_QUEUE_LABELS} labels the rest are "other".
 */
public final class LimiterMetrics {
    private static final int MAX_QUEUE_LABELS = 500;
    private final MeterRegistry registry;
    private final AtomicInteger invalidRequests = new AtomicInteger();
    private final AtomicInteger breakerOpen = new AtomicInteger();
    private final Map<String, AtomicInteger> queueDepth = new ConcurrentHashMap<>();
    private final AtomicInteger tokens = new AtomicInteger();
    private final Counter tokensForgotten;
    private final Timer waitLimited;
    private final Timer waitExempt;

    public LimiterMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("shardgate.rest.invalid.requests", invalidRequests, AtomicInteger::get)
                .description("401, 403 and non-shared 429 answers in the last 10 minutes (Discord bans at 10,000)")
                .register(registry);
        Gauge.builder("shardgate.rest.breaker.open", breakerOpen, AtomicInteger::get)
                .description("1 while the invalid-request breaker stops forwarding, else 0").register(registry);
        Gauge.builder("shardgate.rest.tokens", tokens, AtomicInteger::get)
                .description("tokens the limiter keeps state for (REST_TOKEN_MAX at most while they are idle)")
                .register(registry);
        tokensForgotten = Counter.builder("shardgate.rest.tokens.forgotten")
                .description("idle tokens whose state was dropped to stay within REST_TOKEN_MAX").register(registry);
        waitLimited = waitTimer(false);
        waitExempt = waitTimer(true);
    }

    private Timer waitTimer(boolean exempt) {
        return Timer.builder("shardgate.rest.wait").description("time a request waited in the proxy before it was sent")
                .tag("global_exempt", Boolean.toString(exempt)).publishPercentiles(0.5, 0.99)
                .maximumExpectedValue(Duration.ofMinutes(1)).register(registry);
    }

    void rateLimited(RateLimitScope scope) {
        Counter.builder("shardgate.rest.ratelimited").description("429 answers from Discord by scope")
                .tag("scope", scope.name().toLowerCase(java.util.Locale.ROOT)).register(registry).increment();
    }

    void rejected(Rejection.Reason reason) {
        Counter.builder("shardgate.rest.rejected").description("requests the proxy answered itself, by reason")
                .tag("reason", reason.wireName()).register(registry).increment();
    }

    void tokenTransition(TokenState from, TokenState to) {
        Counter.builder("shardgate.rest.token.transitions").description("token state changes")
                .tag("from", from.name()).tag("to", to.name()).register(registry).increment();
    }

    void tokens(int count, boolean forgotOne) {
        tokens.set(count);
        if (forgotOne) {
            tokensForgotten.increment();
        }
    }

    void waited(boolean exempt, long nanos) {
        (exempt ? waitExempt : waitLimited).record(Duration.ofNanos(nanos));
    }

    void invalidRequests(int count, boolean open) {
        invalidRequests.set(count);
        breakerOpen.set(open ? 1 : 0);
    }

    /** The depth gauge a request queued in this bucket counts toward (kept by the request: buckets get renamed). */
    AtomicInteger queueDepth(Bucket bucket) {
        String label = bucket.key.bucket();
        AtomicInteger depth = queueDepth.get(label);
        if (depth == null) {
            if (queueDepth.size() >= MAX_QUEUE_LABELS) {
                label = "other";
            }
            depth = queueDepth.computeIfAbsent(label, l -> {
                AtomicInteger d = new AtomicInteger();
                Gauge.builder("shardgate.rest.queue.depth", d, AtomicInteger::get)
                        .description("requests waiting for a bucket").tag("bucket", l).register(registry);
                return d;
            });
        }
        return depth;
    }
}
