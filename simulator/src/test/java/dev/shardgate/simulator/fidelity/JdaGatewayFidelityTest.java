package dev.shardgate.simulator.fidelity;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.protocol.Snowflake;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.events.GuildCatalog;
import dev.shardgate.simulator.gateway.Endpoint;
import dev.shardgate.simulator.gateway.IdentifyRecord;
import dev.shardgate.simulator.gateway.ResumeRecord;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.IntConsumer;
import net.dv8tion.jda.api.JDA;
import net.dv8tion.jda.api.entities.Guild;
import net.dv8tion.jda.api.entities.ISnowflake;
import net.dv8tion.jda.api.entities.Message;
import net.dv8tion.jda.api.events.message.MessageReceivedEvent;
import net.dv8tion.jda.api.hooks.ListenerAdapter;
import net.dv8tion.jda.api.sharding.ShardManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * JDA, a real Discord client library, against the simulated gateway: discovery through {@code /gateway/bot},
 * Identify, READY and GUILD_CREATE, a MESSAGE_CREATE reaching JDA's listener, a reply through JDA's REST, and
 * JDA resuming (not re-identifying, and on READY's {@code resume_gateway_url}) after a zombie connection, an
 * op 7 and a close 4000, with the dispatches sent during each gap replayed to it.
 */
@Tag("process")
class JdaGatewayFidelityTest {
    /**
     * For the zombie test only: short, so JDA notices missing ACKs within a few intervals, yet with 1.5 s of slack
     * before the simulator's 4009 (no heartbeat for 1.5 intervals) for a busy machine. Other tests keep
     * Discord's 41.25 s, so a late heartbeat never ends their session.
     */
    private static final Duration ZOMBIE_TEST_HEARTBEAT = Duration.ofSeconds(3);
    private static final Duration DISCORD_HEARTBEAT = Duration.ofMillis(41250);
    private static final int GUILDS = 3;
    private static final String AUTHOR_ID = "1185000000000000001";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BlockingQueue<MessageReceivedEvent> received = new LinkedBlockingQueue<>();
    private Simulator sim;
    private ShardManager shards;
    private JDA jda;

    private void connectJda(Duration heartbeat) {
        sim = Simulator.builder().shards(1).guildsPerShard(GUILDS).heartbeatInterval(heartbeat).start();
        shards = JdaClients.shardManager(sim, new ListenerAdapter() {
            @Override
            public void onMessageReceived(MessageReceivedEvent event) {
                received.add(event);
            }
        });
        JdaClients.awaitReady(shards);
        jda = shards.getShardById(0);
    }

    @AfterEach
    void stop() throws InterruptedException {
        try {
            JdaClients.shutdown(shards);
        } finally {
            if (sim != null) {
                sim.close();
            }
        }
    }

    @Test
    void jdaSeesTheGuildsStreamedByGuildCreate() {
        connectJda(DISCORD_HEARTBEAT);
        assertEquals(1, shards.getShardsTotal(), "shard count from /gateway/bot");
        List<String> expected = Arrays.stream(sim.gateway().guildIds(0)).mapToObj(Long::toUnsignedString).sorted()
                .toList();
        assertEquals(expected, jda.getGuilds().stream().map(ISnowflake::getId).sorted().toList());
        Guild guild = jda.getGuildById(expected.getFirst());
        assertNotNull(guild);
        assertEquals(Long.toUnsignedString(GuildCatalog.generalChannelId(guild.getIdLong())),
                guild.getTextChannelsByName("general", false).getFirst().getId());
        assertEquals(List.of(IdentifyRecord.Outcome.ACCEPTED),
                sim.gateway().identifies().stream().map(IdentifyRecord::outcome).toList());
    }

    @Test
    void messageCreateReachesJdaAndItsReplyReachesTheRestSimulator() throws Exception {
        connectJda(DISCORD_HEARTBEAT);
        long guild = sim.gateway().guildIds(0)[1];
        long channel = GuildCatalog.generalChannelId(guild);
        sim.gateway().dispatch(0, "MESSAGE_CREATE", messageCreate(guild, 1, "!ping"));

        MessageReceivedEvent event = received.poll(20, SECONDS);
        assertNotNull(event, "JDA received no MESSAGE_CREATE");
        assertEquals("!ping", event.getMessage().getContentRaw());
        assertEquals(AUTHOR_ID, event.getAuthor().getId());
        assertEquals("tester", event.getAuthor().getName());
        assertEquals(Long.toUnsignedString(channel), event.getChannel().getId());
        assertEquals(Long.toUnsignedString(guild), event.getGuild().getId());

        Message pong = event.getChannel().sendMessage("pong").complete();
        assertEquals("pong", pong.getContentRaw());
        assertEquals(sim.rest().botUserId(), pong.getAuthor().getIdLong());

        JsonNode stored = getFromSimulator("/channels/" + channel + "/messages/" + pong.getId());
        assertEquals("pong", stored.get("content").asText());
        assertEquals(Long.toUnsignedString(channel), stored.get("channel_id").asText());
    }

    @Test
    void resumesAfterAZombieConnectionAndReceivesWhatWasSentMeanwhile() throws InterruptedException {
        connectJda(ZOMBIE_TEST_HEARTBEAT);
        // A half-dead connection: no heartbeat ACKs and no dispatches get through.
        assertResumesAcross(shard -> {
            sim.gateway().zombie(shard);
            sim.gateway().stall(shard);
        }, shard -> { });
    }

    @Test
    void resumesAfterOpcode7AndReceivesWhatWasSentMeanwhile() throws InterruptedException {
        connectJda(DISCORD_HEARTBEAT);
        // Dispatches lost on the wire, then Discord asks for a reconnect: the resume must replay them.
        assertResumesAcross(shard -> sim.gateway().stall(shard), shard -> {
            sim.gateway().heal(shard);
            sim.gateway().reconnect(shard);
        });
    }

    @Test
    void resumesAfterClose4000AndReceivesWhatWasSentMeanwhile() throws InterruptedException {
        connectJda(DISCORD_HEARTBEAT);
        assertResumesAcross(shard -> sim.gateway().stall(shard), shard -> sim.gateway().close(shard, 4000));
    }

    /**
     * Cuts shard 0 off with {@code cut}, dispatches three messages JDA cannot see, applies {@code fault}, and
     * checks that JDA resumed once, with those three replayed, and delivered them in order, without identifying
     * again.
     */
    private void assertResumesAcross(IntConsumer cut, IntConsumer fault) throws InterruptedException {
        long guild = sim.gateway().guildIds(0)[0];
        cut.accept(0);
        for (int n = 1; n <= 3; n++) {
            sim.gateway().dispatch(0, "MESSAGE_CREATE", messageCreate(guild, n, "gap " + n));
        }
        fault.accept(0);

        for (int n = 1; n <= 3; n++) {
            MessageReceivedEvent event = received.poll(30, SECONDS);
            assertNotNull(event, "JDA did not receive gap message " + n);
            assertEquals("gap " + n, event.getMessage().getContentRaw());
        }
        await().atMost(30, SECONDS).until(() -> jda.getStatus() == JDA.Status.CONNECTED);
        List<ResumeRecord> resumes = sim.gateway().resumes();
        assertEquals(1, resumes.size(), "resumes: " + resumes);
        assertEquals(ResumeRecord.Outcome.RESUMED, resumes.getFirst().outcome());
        assertEquals(3, resumes.getFirst().replayed());
        assertEquals(Endpoint.RESUME, resumes.getFirst().endpoint(), "JDA resumes on READY's resume_gateway_url");
        assertEquals(1, sim.gateway().identifies().size(), "JDA identified again instead of resuming");
    }

    private static String messageCreate(long guild, int n, String content) {
        String id = Long.toUnsignedString(Snowflake.fromTimestampMillis(System.currentTimeMillis()) + n);
        return """
                {"id":"%s","channel_id":"%s","guild_id":"%s","channel_type":0,
                 "author":{"id":"%s","username":"tester","global_name":"Tester","discriminator":"0","avatar":null,
                           "public_flags":0},
                 "member":{"roles":[],"nick":null,"joined_at":"2021-03-15T10:00:00.000000+00:00","deaf":false,
                           "mute":false,"flags":0,"premium_since":null,"avatar":null},
                 "content":"%s","timestamp":"2026-01-01T00:00:00.000000+00:00","edited_timestamp":null,
                 "tts":false,"mention_everyone":false,"mentions":[],"mention_roles":[],"attachments":[],
                 "embeds":[],"components":[],"pinned":false,"type":0,"flags":0}
                """.formatted(id, Long.toUnsignedString(GuildCatalog.generalChannelId(guild)),
                Long.toUnsignedString(guild), AUTHOR_ID, content);
    }

    private JsonNode getFromSimulator(String route) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(sim.apiUrl() + route))
                    .header("Authorization", "Bot " + sim.gateway().settings().token()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            return JSON.readTree(response.body());
        }
    }
}
