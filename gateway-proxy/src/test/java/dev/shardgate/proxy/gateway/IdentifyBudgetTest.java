package dev.shardgate.proxy.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.shardgate.proxy.GatewayProxy;
import dev.shardgate.config.ConfigSource;
import dev.shardgate.proxy.config.ProxyConfig;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.testkit.NatsServerProcess;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A start with fewer session starts left than shards to identify waits for reset_after instead of spending them. */
class IdentifyBudgetTest {
    @Test
    void aBudgetBelowTheShardCountStartsNoShardAndKeepsItsLastIdentify() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
                Simulator sim = Simulator.builder().token("sim-token").shards(2).maxConcurrency(2)
                        .sessionStartLimit(1000, 1, Duration.ofHours(1)).start();
                GatewayProxy proxy = GatewayProxy.start(ProxyConfig.from(ConfigSource.of(Map.of(
                        "DISCORD_TOKEN", "sim-token", "DISCORD_API_URL", sim.apiUrl(), "NATS_URL", nats.url(),
                        "ROLES", "gateway", "ADMIN_PORT", "0"))))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> proxy.shards().size() == 2
                    && proxy.shards().stream().allMatch(s -> s.state() == ShardState.QUEUED));
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(30))
                    .until(() -> sim.gateway().identifies().isEmpty());
            assertEquals(1, sim.gateway().sessionStartRemaining());
            assertFalse(proxy.isReady());
            assertEquals(0, proxy.registry().get("shardgate_identify_budget_remaining").gauge().value());
        }
    }
}
