package dev.shardgate.proxy.publish;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.proxy.GatewayProxy;
import dev.shardgate.config.ConfigSource;
import dev.shardgate.proxy.config.ProxyConfig;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.DispatchRecord;
import dev.shardgate.testkit.NatsServerProcess;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * NATS dies under a running proxy while events keep coming (DESIGN.md: a slow or absent NATS must never delay a
 * heartbeat): no shard misses a heartbeat or reconnects, and once NATS is back every dispatch is stored once.
 */
@Tag("process")
class NatsOutageTest {
    @Test
    void aNatsOutageCostsNoHeartbeatNoReconnectAndNoEvent() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
                Simulator sim = Simulator.builder().token("sim-token").shards(2).maxConcurrency(2)
                        .heartbeatInterval(Duration.ofSeconds(1)).eventsPerSecondPerShard(40).start();
                GatewayProxy proxy = GatewayProxy.start(ProxyConfig.from(ConfigSource.of(Map.of(
                        "DISCORD_TOKEN", "sim-token", "DISCORD_API_URL", sim.apiUrl(), "NATS_URL", nats.url(),
                        "ROLES", "gateway", "ADMIN_PORT", "0"))))) {
            await().atMost(Duration.ofSeconds(60)).until(proxy::isReady);
            int connections = sim.gateway().connectionCount();
            long before = sim.gateway().ledger().size();

            nats.stop();
            Instant end = Instant.now().plusSeconds(8);
            // Eight heartbeat intervals without NATS; every poll checks that no shard lost its connection.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
                assertEquals(connections, sim.gateway().connectionCount());
                return Instant.now().isAfter(end);
            });
            assertTrue(sim.gateway().ledger().size() > before + 100, "events kept coming during the outage");
            nats.restart();

            sim.events().rate(0);
            try (Connection client = Nats.connect(nats.url())) {
                JetStreamManagement jsm = client.jetStreamManagement();
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    List<DispatchRecord> ledger = sim.gateway().ledger();
                    long last = jsm.getStreamInfo("DISCORD_EVENTS").getStreamState().getLastSequence();
                    Set<String> ids = new HashSet<>();
                    for (long s = 1; s <= last; s++) {
                        String id = jsm.getMessage("DISCORD_EVENTS", s).getHeaders().getFirst(EventHeaders.MSG_ID);
                        assertTrue(ids.add(id), "stored twice: " + id);
                    }
                    Set<String> expected = new HashSet<>();
                    ledger.forEach(r -> expected.add(EventHeaders.messageId(r.shardId(), r.sessionId(), r.seq())));
                    assertEquals(expected, ids);
                });
            }
            assertEquals(connections, sim.gateway().connectionCount());
            assertTrue(sim.gateway().closesSent().isEmpty(), "the simulator closed: " + sim.gateway().closesSent());
            assertTrue(proxy.registry().scrape().lines().noneMatch(l -> l.startsWith("shardgate_reconnects_total")),
                    "no reconnect may be counted");
            assertEquals(2, sim.gateway().identifies().size());
        }
    }
}
