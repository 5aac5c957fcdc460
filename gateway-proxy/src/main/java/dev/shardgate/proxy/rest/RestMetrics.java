package dev.shardgate.proxy.rest;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The request meters of the REST role. Route templates come from clients' paths, so at most
 * {@value #MAX_ROUTES} distinct ones are labelled; later ones count as {@code other}. Thread-safe.
 */
final class RestMetrics {
    private static final int MAX_ROUTES = 1_000;
    private final MeterRegistry registry;
    private final Set<String> routes = ConcurrentHashMap.newKeySet();
    private final Timer overhead;

    RestMetrics(MeterRegistry registry) {
        this.registry = registry;
        overhead = Timer.builder("shardgate.rest.overhead")
                .description("time the proxy added to a request that did not wait for a limit (handling minus "
                        + "Discord's answer time)")
                .publishPercentiles(0.5, 0.9, 0.99).maximumExpectedValue(Duration.ofSeconds(1)).register(registry);
    }

    void request(String route, int status, boolean generated) {
        String label = routes.contains(route) || (routes.size() < MAX_ROUTES && routes.add(route)) ? route : "other";
        Counter.builder("shardgate.rest.requests").description("answers to clients by route template and status")
                .tag("route", label).tag("status", Integer.toString(status))
                .tag("generated", Boolean.toString(generated)).register(registry).increment();
    }

    void overhead(long nanos) {
        overhead.record(Duration.ofNanos(Math.max(0, nanos)));
    }
}
