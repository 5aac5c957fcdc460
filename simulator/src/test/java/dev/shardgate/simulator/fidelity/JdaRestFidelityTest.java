package dev.shardgate.simulator.fidelity;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.events.GuildCatalog;
import dev.shardgate.simulator.rest.BucketKey;
import dev.shardgate.simulator.rest.RateLimitScope;
import dev.shardgate.simulator.rest.RouteBucket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import net.dv8tion.jda.api.entities.Message;
import net.dv8tion.jda.api.entities.channel.concrete.TextChannel;
import net.dv8tion.jda.api.sharding.ShardManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * JDA's REST rate limiter against the simulator's rate-limit headers. JDA paces a bucket by
 * {@code X-RateLimit-Remaining} and {@code -Reset-After}; if the simulator's headers describe its buckets
 * correctly, a burst to one channel is spread over the windows and never meets a 429. A shared-scope 429,
 * which no client can foresee, is parsed and waited out.
 */
@Tag("process")
class JdaRestFidelityTest {
    private static final int BURST = 30;
    /** Discord's 5 messages per channel, in a 1 s window instead of 5 s so the burst takes seconds, not half a minute. */
    private static final int LIMIT = 5;
    private static final Duration WINDOW = Duration.ofSeconds(1);

    private Simulator sim;
    private ShardManager shards;

    @BeforeEach
    void connectJda() {
        sim = Simulator.builder().shards(1).guildsPerShard(1).start();
        sim.rest().setBucketLimit(RouteBucket.CREATE_MESSAGE, LIMIT, WINDOW);
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
    void aBurstToOneChannelIsPacedByTheHeadersAndNeverMeetsA429() throws Exception {
        long channelId = GuildCatalog.generalChannelId(sim.gateway().guildIds(0)[0]);
        TextChannel channel = shards.getTextChannelById(channelId);
        assertNotNull(channel, "JDA has no channel " + channelId);

        List<CompletableFuture<Message>> sent = new ArrayList<>();
        for (int n = 0; n < BURST; n++) {
            sent.add(channel.sendMessage("burst " + n).submit());
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, SECONDS);

        for (int n = 0; n < BURST; n++) {
            assertEquals("burst " + n, sent.get(n).get().getContentRaw(), "JDA keeps a bucket's order");
        }
        assertEquals(0, sim.rest().observations().rateLimited(RateLimitScope.USER), "429s JDA received");
        assertEquals(0, sim.rest().observations().rateLimited(RateLimitScope.GLOBAL), "global 429s");
        List<Instant> times = sim.rest().observations()
                .requestTimes(BucketKey.of(RouteBucket.CREATE_MESSAGE, "channel:" + channelId));
        assertEquals(BURST, times.size(), "requests the simulator counted");
        assertTrue(times.getLast().isAfter(times.getFirst().plus(WINDOW.multipliedBy(BURST / LIMIT - 1))),
                "30 messages at 5 per window need at least 5 windows: " + times);
    }

    @Test
    void aShared429IsWaitedOutAndRetried() {
        long channelId = GuildCatalog.generalChannelId(sim.gateway().guildIds(0)[0]);
        TextChannel channel = shards.getTextChannelById(channelId);
        assertNotNull(channel, "JDA has no channel " + channelId);
        sim.rest().faults().sharedLimit("channel:" + channelId, Duration.ofSeconds(1));

        Message sent = channel.sendMessage("after the shared limit").complete();

        assertEquals("after the shared limit", sent.getContentRaw());
        assertTrue(sim.rest().observations().rateLimited(RateLimitScope.SHARED) >= 1, "JDA met the shared 429");
        assertEquals(0, sim.rest().observations().invalidRequestsTotal(), "a shared 429 is not an invalid request");
    }
}
