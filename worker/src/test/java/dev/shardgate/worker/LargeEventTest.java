package dev.shardgate.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.config.ConfigSource;
import dev.shardgate.proxy.GatewayProxy;
import dev.shardgate.proxy.config.ProxyConfig;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.DispatchRecord;
import dev.shardgate.testkit.NatsServerProcess;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * End to end: a 3 MB GUILD_CREATE (three times NATS's default max_payload) goes from the simulator through the
 * gateway proxy, which puts its body in the object store, to a worker handler, byte for byte, while both shards'
 * other events keep flowing and are handled too.
 */
@Tag("process")
class LargeEventTest {
    private static final Duration WAIT = Duration.ofMinutes(2);
    private static final int SHARDS = 2;
    private static final List<String> TYPES = List.of("READY", "RESUMED", "GUILD_CREATE", "MESSAGE_CREATE",
            "MESSAGE_REACTION_ADD", "TYPING_START", "PRESENCE_UPDATE", "GUILD_MEMBER_ADD", "INTERACTION_CREATE");

    @Test
    void aThreeMegabyteGuildCreateReachesAHandlerWholeWhileEveryOtherEventKeepsFlowing() throws Exception {
        byte[] guild = LargeBodyTest.guild(3 * 1024 * 1024);
        Map<String, byte[]> handled = new ConcurrentHashMap<>();
        try (NatsServerProcess nats = NatsServerProcess.start();
                Simulator sim = Simulator.builder().token("sim-token").shards(SHARDS).maxConcurrency(SHARDS)
                        .heartbeatInterval(Duration.ofSeconds(10)).eventsPerSecondPerShard(20).start();
                GatewayProxy proxy = GatewayProxy.start(ProxyConfig.from(ConfigSource.of(Map.of(
                        "DISCORD_TOKEN", "sim-token", "DISCORD_API_URL", sim.apiUrl(), "NATS_URL", nats.url(),
                        "ROLES", "gateway", "ADMIN_PORT", "0", "REST_PORT", "0"))))) {
            await().atMost(WAIT).until(proxy::isReady);
            Worker.Builder builder = Worker.builder(WorkerConfig.from(Map.of("NATS_URL", nats.url(),
                    "WORKER_METRICS_PORT", "0", "WORKER_MAX_AGE_INTERACTION_CREATE", "0s")));
            for (String type : TYPES) {
                builder.on(type, e -> handled.put(e.shard() + ":" + e.seq(), e.raw()));
            }
            Worker worker = builder.build();
            try {
                worker.start();
                await().atMost(WAIT).until(() -> handled.size() > 10);

                assertEquals(1, sim.gateway().dispatch(0, "GUILD_CREATE", new String(guild, StandardCharsets.UTF_8)));
                DispatchRecord large = sim.gateway().ledger(0).stream().filter(r -> r.d().length == guild.length)
                        .findFirst().orElseThrow();
                // The generator goes on on both shards while the large body travels through the object store.
                await().atMost(WAIT).until(() -> sim.gateway().ledger(1).stream()
                        .filter(r -> r.at().isAfter(large.at())).count() >= 40);
                sim.events().rate(0);

                String key = large.shardId() + ":" + large.seq();
                await().atMost(WAIT).until(() -> handled.containsKey(key));
                assertArrayEquals(guild, handled.get(key), "the handler got the 3 MB body byte for byte");
                Set<String> sent = new HashSet<>();
                sim.gateway().ledger().forEach(r -> sent.add(r.shardId() + ":" + r.seq()));
                await().atMost(WAIT).untilAsserted(() -> {
                    Set<String> missing = new HashSet<>(sent);
                    missing.removeAll(handled.keySet());
                    assertEquals(Set.of(), missing, "dispatched but not handled");
                });
                assertTrue(proxy.registry().scrape().lines()
                        .anyMatch(l -> l.startsWith("shardgate_publish_large_events_total 1.0")),
                        "the proxy counted one body put in the object store");
                assertTrue(proxy.registry().scrape().lines().noneMatch(l -> l.startsWith("shardgate_reconnects_total")),
                        "no shard reconnected");
            } finally {
                worker.drain();
            }
        }
    }
}
