package dev.shardgate.proxy.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.protocol.Intents;
import dev.shardgate.proxy.GatewayProxy;
import dev.shardgate.proxy.ProxyHarnessAccess;
import dev.shardgate.config.ConfigSource;
import dev.shardgate.proxy.config.ProxyConfig;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.IdentifyRecord;
import dev.shardgate.testkit.NatsServerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Shards that must stop: fatal close codes, a rejected token, and the storm breaker. The process stays up. */
@Tag("process")
class ShardFailureTest {
    private static int status(GatewayProxy proxy, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + proxy.adminPort() + path)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static Map<String, String> env(Simulator sim, NatsServerProcess nats) {
        Map<String, String> env = new HashMap<>();
        env.put("DISCORD_TOKEN", "sim-token");
        env.put("DISCORD_API_URL", sim.apiUrl());
        env.put("NATS_URL", nats.url());
        env.put("ADMIN_PORT", "0");
        return env;
    }

    @Test
    void disallowedIntentsStopTheShardWithOneClearReasonAndReadyzSays503() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
                Simulator sim = Simulator.builder().token("sim-token").enabledPrivilegedIntents(0)
                        .heartbeatInterval(Duration.ofSeconds(2)).start()) {
            Map<String, String> env = env(sim, nats);
            env.put("GATEWAY_INTENTS", Integer.toString(Intents.ALL_DEFINED));
            try (GatewayProxy proxy = GatewayProxy.start(ProxyConfig.from(ConfigSource.of(env)))) {
                await().atMost(Duration.ofSeconds(60)).until(() -> !proxy.shards().isEmpty()
                        && proxy.shards().get(0).state() == ShardState.FAILED);
                String reason = proxy.shards().get(0).reason();
                assertTrue(reason.contains("4014") && reason.contains("Developer Portal"), reason);
                assertEquals(503, status(proxy, "/readyz"));
                assertEquals(200, status(proxy, "/healthz"));
                assertEquals(1, sim.gateway().identifies().size(), "a fatal code must not be retried");
            }
        }
    }

    @Test
    void aTokenThatGatewayBotRejectsFailsTheShardsWithoutConnecting() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
                Simulator sim = Simulator.builder().token("another-token").start()) {
            Map<String, String> env = env(sim, nats);
            env.put("SHARD_COUNT", "2");
            try (GatewayProxy proxy = GatewayProxy.start(ProxyConfig.from(ConfigSource.of(env)))) {
                await().atMost(Duration.ofSeconds(60)).until(() -> proxy.shards().size() == 2
                        && proxy.shards().stream().allMatch(s -> s.state() == ShardState.FAILED));
                assertTrue(proxy.shards().get(0).reason().contains("401"), proxy.shards().get(0).reason());
                assertEquals(0, sim.gateway().connectionCount());
                assertEquals(503, status(proxy, "/readyz"));
                assertEquals(200, status(proxy, "/healthz"));
            }
        }
    }

    @Test
    void theStormBreakerCoolsDownAShardThatKeepsLosingItsSessionThenLetsItIdentifyAgain() throws Exception {
        try (ProxyHarnessAccess h = ProxyHarnessAccess.start(Simulator.builder().heartbeatInterval(Duration.ofSeconds(2)),
                "STORM_MAX_IDENTIFIES", "2", "STORM_WINDOW", "12s")) {
            h.sim().gateway().close(0, 4009);
            await().atMost(Duration.ofSeconds(60)).until(() -> h.sim().gateway().identifies().size() == 2
                    && h.proxy().shards().get(0).state() == ShardState.READY);
            h.sim().gateway().close(0, 4009);
            await().atMost(Duration.ofSeconds(60)).until(() -> h.proxy().shards().get(0).reason() != null
                    && h.proxy().shards().get(0).reason().startsWith("storm breaker"));
            assertEquals(ShardState.RECONNECTING, h.proxy().shards().get(0).state());
            assertEquals(2, h.sim().gateway().identifies().size(), "no identify while cooling down");
            await().atMost(Duration.ofSeconds(60)).until(() -> h.proxy().shards().get(0).state() == ShardState.READY);
            List<IdentifyRecord> identifies = h.sim().gateway().identifies();
            assertEquals(3, identifies.size());
            assertTrue(Duration.between(identifies.get(0).at(), identifies.get(2).at())
                    .compareTo(Duration.ofSeconds(12)) >= 0, "the third identify waits for the first to leave the "
                    + "window: " + identifies);
        }
    }
}
