package dev.shardgate.simulator.fidelity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.protocol.GatewayLimits;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.IdentifyRecord;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import net.dv8tion.jda.api.JDA;
import net.dv8tion.jda.api.entities.ISnowflake;
import net.dv8tion.jda.api.sharding.ShardManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * JDA's shard manager against the simulator's {@code /gateway/bot}: it takes the shard count and
 * {@code max_concurrency} from there, starts one shard per identify bucket every 5 s, and each shard receives
 * exactly the guilds that Discord's routing formula gives it. One test: the pacing makes a start-up cost 5 s.
 */
@Tag("process")
class JdaShardingFidelityTest {
    private static final int SHARDS = 4;
    private static final int MAX_CONCURRENCY = 2;

    private Simulator sim;
    private ShardManager shards;

    @BeforeEach
    void connectJda() {
        sim = Simulator.builder().shards(SHARDS).maxConcurrency(MAX_CONCURRENCY).guildsPerShard(2).start();
        shards = JdaClients.shardManager(sim);
        JdaClients.awaitReady(shards);
    }

    @AfterEach
    void stop() throws InterruptedException {
        try {
            JdaClients.shutdown(shards);
        } finally {
            sim.close();
        }
    }

    @Test
    void shardManagerFollowsGatewayBotPacesIdentifiesAndEachShardGetsItsGuilds() {
        assertEquals(SHARDS, shards.getShardsTotal(), "shard count from /gateway/bot");
        List<IdentifyRecord> identifies = sim.gateway().identifies();
        assertEquals(SHARDS, identifies.size(), "identifies: " + identifies);
        assertTrue(identifies.stream().allMatch(i -> i.outcome() == IdentifyRecord.Outcome.ACCEPTED),
                "every identify accepted, none answered op 9: " + identifies);

        Map<Integer, List<IdentifyRecord>> byBucket = identifies.stream()
                .collect(Collectors.groupingBy(IdentifyRecord::bucket));
        assertEquals(MAX_CONCURRENCY, byBucket.size(), "identify buckets used: " + byBucket.keySet());
        for (List<IdentifyRecord> bucket : byBucket.values()) {
            assertEquals(SHARDS / MAX_CONCURRENCY, bucket.size());
            Duration gap = Duration.between(bucket.get(0).at(), bucket.get(1).at());
            assertTrue(gap.compareTo(GatewayLimits.IDENTIFY_WINDOW) >= 0, "one identify per bucket per 5 s: " + gap);
        }

        for (JDA jda : shards.getShards()) {
            int shard = jda.getShardInfo().getShardId();
            List<String> expected = Arrays.stream(sim.gateway().guildIds(shard)).mapToObj(Long::toUnsignedString)
                    .sorted().toList();
            assertEquals(expected, jda.getGuilds().stream().map(ISnowflake::getId).sorted().toList(),
                    "guilds of shard " + shard);
            jda.getGuilds().forEach(g -> assertEquals(shard, (int) ((g.getIdLong() >>> 22) % SHARDS)));
        }
    }
}
