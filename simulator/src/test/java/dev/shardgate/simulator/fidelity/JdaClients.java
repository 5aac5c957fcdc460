package dev.shardgate.simulator.fidelity;

import dev.shardgate.simulator.Simulator;
import java.time.Duration;
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
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(10);

    private JdaClients() {
    }

    /** A shard manager with every shard {@code /gateway/bot} recommends, started (not yet ready). */
    static ShardManager shardManager(Simulator sim, Object... listeners) {
        return DefaultShardManagerBuilder.create(sim.gateway().settings().token(), INTENTS)
                .setRestConfig(new RestConfig().setBaseUrl(sim.apiUrl() + "/"))
                .disableCache(EnumSet.allOf(CacheFlag.class))
                .setEnableShutdownHook(false)
                .setUseShutdownNow(true)
                .addEventListeners(listeners)
                .build();
    }

    /** Blocks until every shard has received READY and its guilds. */
    static void awaitReady(ShardManager shards) throws InterruptedException {
        for (JDA jda : shards.getShards()) {
            jda.awaitReady();
        }
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
