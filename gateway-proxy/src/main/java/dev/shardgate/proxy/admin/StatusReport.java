package dev.shardgate.proxy.admin;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardgate.proxy.rest.RestStatus;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * {@code /status}: everything the status page shows, in one snapshot, so the page renders one consistent moment per
 * poll. A role this process does not run is {@code {"running": false}}. Thread-safe: its sections are.
 */
final class StatusReport {
    private final String instanceId;
    private final GatewaySection gateway;
    private final RestSection rest;
    private final Clock clock;
    private final long startedAt;

    /** @param gateway null when this process runs no gateway role */
    StatusReport(String instanceId, GatewayView gateway, MeterRegistry registry, Clock clock) {
        this.instanceId = instanceId;
        this.gateway = gateway == null ? null : new GatewaySection(gateway, clock, System::nanoTime);
        this.rest = new RestSection(registry);
        this.clock = clock;
        this.startedAt = clock.millis();
    }

    void attachRest(IntFunction<CompletableFuture<RestStatus>> source) {
        rest.attach(source);
    }

    ObjectNode json() throws InterruptedException {
        ObjectNode node = JsonNodeFactory.instance.objectNode()
                .put("instance", instanceId)
                .put("at", clock.instant().toString())
                .put("uptime_ms", clock.millis() - startedAt);
        node.set("gateway", gateway == null ? JsonNodeFactory.instance.objectNode().put("running", false)
                : gateway.json());
        node.set("rest", rest.json());
        return node;
    }
}
