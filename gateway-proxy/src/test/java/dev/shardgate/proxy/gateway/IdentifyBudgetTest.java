package dev.shardgate.proxy.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.shardgate.config.ConfigSource;
import dev.shardgate.proxy.GatewayProxy;
import dev.shardgate.proxy.config.ProxyConfig;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.testkit.NatsServerProcess;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The session-start budget is never spent below IDENTIFY_RESERVE, and a budget that cannot cover every waiting shard
 * starts the ones it can cover (no all-or-nothing wait).
 */
@Tag("process")
class IdentifyBudgetTest {
    @Test
    void identifiesWhatTheBudgetCoversAboveTheReserveAndKeepsTheReserve() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
                Simulator sim = Simulator.builder().token("sim-token").shards(3).maxConcurrency(3)
                        .sessionStartLimit(1000, 4, Duration.ofHours(1)).start();
                GatewayProxy proxy = GatewayProxy.start(ProxyConfig.from(ConfigSource.of(Map.of(
                        "DISCORD_TOKEN", "sim-token", "DISCORD_API_URL", sim.apiUrl(), "NATS_URL", nats.url(),
                        "ROLES", "gateway", "ADMIN_PORT", "0", "IDENTIFY_RESERVE", "2"))))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> proxy.shards().stream()
                    .filter(s -> s.state().isLive()).count() == 2);
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30))
                    .until(() -> sim.gateway().identifies().size() == 2);
            List<ShardState> states = proxy.shards().stream().map(ShardStatus::state).sorted().toList();
            assertEquals(List.of(ShardState.QUEUED, ShardState.READY, ShardState.READY), states,
                    "the budget covers two shards: they go, the third waits");
            assertEquals(2, sim.gateway().sessionStartRemaining(), "the reserve is kept");
            assertFalse(proxy.isReady());
            assertEquals(2, proxy.registry().get("shardgate_identify_budget_remaining").gauge().value());
            assertEquals(1, proxy.registry().get("shardgate_identify_budget_low").gauge().value());
        }
    }
}
