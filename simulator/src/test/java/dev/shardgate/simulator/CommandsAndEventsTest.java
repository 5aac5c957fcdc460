package dev.shardgate.simulator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardgate.protocol.Intents;
import dev.shardgate.protocol.Snowflake;
import dev.shardgate.simulator.events.EventFactory;
import dev.shardgate.simulator.gateway.CommandRecord;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Replies to ops 3, 4, 8 and 31 (discord-gateway.md §16), intents (§17) and the background generator. */
@Tag("process")
class CommandsAndEventsTest {
    private static Simulator sim;

    @BeforeAll
    static void start() {
        sim = Simulator.builder().shards(16).maxConcurrency(16).guildsPerShard(2).start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static GatewayTestClient ready(int shard, int intents) throws InterruptedException {
        GatewayTestClient c = GatewayTestClient.zlib(sim.gateway().url());
        c.next(10, null);
        c.identify("sim-token", shard, 16, intents);
        c.nextDispatch("READY");
        c.nextDispatch("GUILD_CREATE");
        c.nextDispatch("GUILD_CREATE");
        return c;
    }

    private static String guild(int shard) {
        return Long.toUnsignedString(sim.gateway().guildIds(shard)[0]);
    }

    @Test
    void requestGuildMembersAnswersChunksWithTheNonceAndRateLimitsRepeats() throws Exception {
        GatewayTestClient c = ready(0, Intents.ALL_DEFINED);
        try {
            String g = guild(0);
            c.sendJson("{\"op\":8,\"d\":{\"guild_id\":\"" + g + "\",\"query\":\"\",\"limit\":0,\"nonce\":\"req-1\"}}");
            JsonNode chunk = c.nextDispatch("GUILD_MEMBERS_CHUNK").get("d");
            assertEquals(g, chunk.get("guild_id").asText());
            assertEquals("req-1", chunk.get("nonce").asText());
            assertEquals(0, chunk.get("chunk_index").asInt());
            assertEquals(1, chunk.get("chunk_count").asInt());
            assertTrue(chunk.get("members").size() >= 5);
            assertEquals(Long.toString(EventFactory.BOT_USER_ID), chunk.get("members").get(0).get("user").get("id")
                    .asText(), "the bot is a member of its guilds");

            c.sendJson("{\"op\":8,\"d\":{\"guild_id\":\"" + g + "\",\"query\":\"\",\"limit\":0,\"nonce\":\"req-2\"}}");
            JsonNode limited = c.nextDispatch("RATE_LIMITED").get("d");
            assertEquals(8, limited.get("opcode").asInt());
            assertTrue(limited.get("retry_after").asDouble() > 0 && limited.get("retry_after").asDouble() <= 30);
            assertEquals(g, limited.get("meta").get("guild_id").asText());
            assertEquals("req-2", limited.get("meta").get("nonce").asText());

            String alice = EventFactory.userId(0);
            c.sendJson("{\"op\":8,\"d\":{\"guild_id\":\"" + g + "\",\"user_ids\":[\"" + alice
                    + "\",\"42\"],\"nonce\":\"req-3\"}}");
            JsonNode byId = c.nextDispatch("GUILD_MEMBERS_CHUNK").get("d");
            assertEquals(1, byId.get("members").size());
            assertEquals(alice, byId.get("members").get(0).get("user").get("id").asText());
            assertEquals("[\"42\"]", byId.get("not_found").toString());

            c.sendJson("{\"op\":8,\"d\":{\"guild_id\":\"" + g + "\",\"query\":\"al\",\"limit\":10,\"nonce\":\""
                    + "n".repeat(33) + "\"}}");
            JsonNode byQuery = c.nextDispatch("GUILD_MEMBERS_CHUNK").get("d");
            assertEquals("alice", byQuery.get("members").get(0).get("user").get("username").asText());
            assertFalse(byQuery.has("nonce"), "a nonce over 32 bytes is dropped");

            assertEquals(4, sim.gateway().commands(0).stream().filter(r -> r.op() == 8).count());
        } finally {
            c.close(4000);
        }
    }

    @Test
    void voiceStateUpdateAnswersWithVoiceStateAndVoiceServer() throws Exception {
        GatewayTestClient c = ready(1, 513);
        try {
            String g = guild(1);
            c.sendJson("{\"op\":4,\"d\":{\"guild_id\":\"" + g + "\",\"channel_id\":\"" + g
                    + "\",\"self_mute\":true,\"self_deaf\":false}}");
            JsonNode state = c.nextDispatch("VOICE_STATE_UPDATE").get("d");
            assertTrue(state.get("self_mute").asBoolean());
            JsonNode server = c.nextDispatch("VOICE_SERVER_UPDATE").get("d");
            assertEquals(g, server.get("guild_id").asText());
            assertTrue(server.get("endpoint").isTextual());
        } finally {
            c.close(4000);
        }
    }

    @Test
    void soundboardRequestAnswersOnePerGuildAndPresenceIsAccepted() throws Exception {
        GatewayTestClient c = ready(2, 513);
        try {
            c.sendJson("{\"op\":3,\"d\":{\"since\":null,\"activities\":[],\"status\":\"idle\",\"afk\":false}}");
            long[] guilds = sim.gateway().guildIds(2);
            c.sendJson("{\"op\":31,\"d\":{\"guild_ids\":[\"" + guilds[0] + "\",\"" + guilds[1] + "\"]}}");
            assertEquals(Long.toUnsignedString(guilds[0]),
                    c.nextDispatch("SOUNDBOARD_SOUNDS").get("d").get("guild_id").asText());
            assertEquals(Long.toUnsignedString(guilds[1]),
                    c.nextDispatch("SOUNDBOARD_SOUNDS").get("d").get("guild_id").asText());
            CommandRecord presence = sim.gateway().commands(2).stream().filter(r -> r.op() == 3).findFirst()
                    .orElseThrow();
            assertTrue(presence.json().contains("\"idle\""));
            assertTrue(c.isOpen());
        } finally {
            c.close(4000);
        }
    }

    @Test
    void aCommandWithoutItsRequiredFieldsCloses4001() throws Exception {
        GatewayTestClient c = ready(3, 513);
        c.sendJson("{\"op\":8,\"d\":{\"query\":\"\",\"limit\":0}}");
        assertEquals(4001, c.awaitClose());
    }

    @Test
    void generatedEventsFollowIntentsAndMessageContent() throws Exception {
        GatewayTestClient withContent = ready(4, Intents.GUILDS | Intents.GUILD_MESSAGES | Intents.MESSAGE_CONTENT);
        GatewayTestClient without = ready(5, Intents.GUILDS | Intents.GUILD_MESSAGES);
        try {
            sim.gateway().burst(4, 300);
            sim.gateway().burst(5, 300);
            await().atMost(GatewayTestClient.WAIT).until(() -> withContent.all.stream()
                    .filter(n -> "MESSAGE_CREATE".equals(n.path("t").asText()))
                    .anyMatch(n -> "!ping".equals(n.get("d").get("content").asText())));
            await().atMost(GatewayTestClient.WAIT)
                    .until(() -> without.all.stream().anyMatch(n -> "MESSAGE_CREATE".equals(n.path("t").asText())));
            await().atMost(GatewayTestClient.WAIT).until(() -> withContent.all.stream()
                    .anyMatch(n -> "INTERACTION_CREATE".equals(n.path("t").asText())));
            for (GatewayTestClient c : new GatewayTestClient[] {withContent, without}) {
                for (JsonNode n : c.all) {
                    String t = n.path("t").asText();
                    assertTrue(n.path("op").asInt() != 0 || t.equals("READY") || t.equals("GUILD_CREATE")
                            || t.equals("MESSAGE_CREATE") || t.equals("INTERACTION_CREATE"), "intents filter " + t);
                }
            }
            without.all.stream().filter(n -> "MESSAGE_CREATE".equals(n.path("t").asText()))
                    .forEach(n -> assertEquals("", n.get("d").get("content").asText()));
            JsonNode interaction = withContent.all.stream()
                    .filter(n -> "INTERACTION_CREATE".equals(n.path("t").asText())).findFirst().orElseThrow().get("d");
            assertEquals(2, interaction.get("type").asInt());
            assertEquals("ping", interaction.get("data").get("name").asText());
            assertTrue(interaction.get("token").asText().startsWith("aW50ZXJhY3Rpb246"));
            long guildId = Snowflake.parse(interaction.get("guild_id").asText());
            assertEquals(4, Snowflake.shardFor(guildId, 16));
            long id = Snowflake.parse(interaction.get("id").asText());
            assertTrue(Math.abs(Snowflake.timestampMillis(id) - System.currentTimeMillis()) < 60_000);
        } finally {
            withContent.close(4000);
            without.close(4000);
        }
    }

    @Test
    void backgroundGeneratorEmitsAtItsRate() throws Exception {
        GatewayTestClient c = ready(6, Intents.ALL_DEFINED);
        try {
            sim.events().rate(20);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> c.all.stream().filter(n -> n.path("op").asInt() == 0).count() >= 10);
        } finally {
            sim.events().rate(0);
            c.close(4000);
        }
    }
}
