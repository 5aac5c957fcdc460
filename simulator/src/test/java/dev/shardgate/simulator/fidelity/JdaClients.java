package dev.shardgate.simulator.fidelity;

import static org.awaitility.Awaitility.await;

import dev.shardgate.simulator.Simulator;
import java.time.Duration;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.dv8tion.jda.api.JDA;
import net.dv8tion.jda.api.requests.GatewayIntent;
import net.dv8tion.jda.api.requests.RestConfig;
import net.dv8tion.jda.api.sharding.DefaultShardManagerBuilder;
import net.dv8tion.jda.api.sharding.ShardManager;
import net.dv8tion.jda.api.utils.cache.CacheFlag;

/**
 * Builds JDA clients pointed at a simulator, the way a bot would be pointed at Discord: only the REST base URL
 * changes. JDA's shard manager learns the gateway URL, the shard count and {@code max_concurrency} from
 * {@code GET /gateway/bot}. (A plain {@code JDABuilder} would not: it connects to the URL its
 * {@code SessionController.getGateway()} returns, {@code wss://gateway.discord.gg/} by default.)
 */
final class JdaClients {
    /** Guild messages with their content: the intents the fidelity checks need. */
    static final EnumSet<GatewayIntent> INTENTS = EnumSet.of(GatewayIntent.GUILD_MESSAGES,
            GatewayIntent.MESSAGE_CONTENT);
    private static final Duration READY_WAIT = Duration.ofSeconds(30);
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(10);

    private JdaClients() {
    }

    /** A shard manager with every shard {@code /gateway/bot} recommends, started (not yet ready). */
    static ShardManager shardManager(Simulator sim, Object... listeners) {
        return shardManager(sim, INTENTS, listeners);
    }

    static ShardManager shardManager(Simulator sim, Collection<GatewayIntent> intents, Object... listeners) {
        return DefaultShardManagerBuilder.create(sim.gateway().settings().token(), intents)
                .setRestConfig(new RestConfig().setBaseUrl(sim.apiUrl() + "/"))
                .disableCache(EnumSet.allOf(CacheFlag.class))
                .setEnableShutdownHook(false)
                .setUseShutdownNow(true)
                .addEventListeners(listeners)
                .build();
    }

    /** Waits until every shard is connected: READY received and every guild of it loaded by GUILD_CREATE. */
    static void awaitReady(ShardManager shards) {
        await().atMost(READY_WAIT).until(() -> shards.getShardsTotal() > 0
                && shards.getShardCache().size() == shards.getShardsTotal()
                && shards.getShardCache().stream().allMatch(jda -> jda.getStatus() == JDA.Status.CONNECTED));
    }

    /** Stops every shard now and waits for JDA's threads to end, so no test leaks a client into the next. */
    static void shutdown(ShardManager shards) throws InterruptedException {
        if (shards == null) {
            return;
        }
        List<JDA> started = List.copyOf(shards.getShards());
        shards.shutdown();
        for (JDA jda : started) {
            jda.shutdownNow();
            if (!jda.awaitShutdown(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("JDA shard " + jda.getShardInfo() + " did not shut down");
            }
        }
    }
}
