package dev.shardgate.proxy.command;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.protocol.Opcode;
import dev.shardgate.proxy.GatewayProxy;
import dev.shardgate.proxy.ProxyHarnessAccess;
import dev.shardgate.simulator.Simulator;
import io.nats.client.Message;
import io.nats.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The command path of CONTRACT.md against the simulator: validation, routing, pacing, chunks and info. The proxy owns
 * shards 0-2 of 4; the burst of presence updates spends shard 2's send budget, so it has that shard to itself.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("process")
class CommandPathTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private ProxyHarnessAccess h;
    private GatewayProxy proxy;

    @BeforeAll
    void start() throws Exception {
        h = ProxyHarnessAccess.start(Simulator.builder().shards(4).maxConcurrency(4)
                .heartbeatInterval(Duration.ofSeconds(2)), "SHARD_IDS", "0-2");
        proxy = h.proxy();
    }

    @AfterAll
    void stop() throws Exception {
        h.close();
    }

    private JsonNode request(String subject, String body) throws Exception {
        Message reply = h.client().request(subject, body.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(20));
        return JSON.readTree(reply.getData());
    }

    @Test
    void requestGuildMembersReachesTheRightShardAndChunksComeBackOnTheNonce() throws Exception {
        long guild = h.sim().gateway().guildIds(1)[0];
        Subscription chunks = h.client().subscribe("discord.chunks.req-42");
        h.client().flush(Duration.ofSeconds(5));
        JsonNode reply = request("discord.gateway.send.1", "{\"op\":8,\"d\":{\"guild_id\":\"" + guild
                + "\",\"query\":\"\",\"limit\":0,\"nonce\":\"req-42\"}}");
        assertTrue(reply.get("ok").asBoolean(), reply.toString());
        await().atMost(Duration.ofSeconds(30)).until(() -> h.sim().gateway().commands(1).stream()
                .anyMatch(c -> c.op() == 8 && c.json().contains("req-42")));
        assertTrue(h.sim().gateway().commands(0).stream().noneMatch(c -> c.op() == 8));
        Message chunk = chunks.nextMessage(Duration.ofSeconds(30));
        assertTrue(chunk != null, "no chunk on discord.chunks.req-42");
        assertEquals("GUILD_MEMBERS_CHUNK", chunk.getHeaders().getFirst("Discord-Event"));
        assertEquals("req-42", JSON.readTree(chunk.getData()).get("nonce").asText());
    }

    /** What the shard sent besides heartbeats, which go out on their own clock. */
    private long commandsBesidesHeartbeats(int shard) {
        return h.sim().gateway().commands(shard).stream().filter(c -> c.op() != Opcode.HEARTBEAT.code()).count();
    }

    @Test
    void badCommandsAreRefusedWithAClearErrorAndNeverReachDiscord() throws Exception {
        long before = commandsBesidesHeartbeats(0);
        List<String> bad = List.of("{not json", "[1,2]", "{\"op\":2,\"d\":{\"token\":\"x\"}}", "{\"op\":6,\"d\":{}}",
                "{\"op\":3}", "{\"op\":3,\"d\":{\"status\":\"" + "x".repeat(5000) + "\"}}",
                "{\"op\":8,\"d\":{\"guild_id\":\"1\",\"nonce\":\"" + "n".repeat(40) + "\"}}");
        for (String body : bad) {
            JsonNode reply = request("discord.gateway.send.0", body);
            assertFalse(reply.get("ok").asBoolean(), body);
            assertFalse(reply.get("error").asText().isBlank());
        }
        assertTrue(request("discord.gateway.send.0", "{\"op\":2,\"d\":{}}").get("error").asText().contains("op 2"));
        assertTrue(request("discord.gateway.send.0", "x".repeat(5000)).get("error").asText().contains("4096"));
        assertEquals(before, commandsBesidesHeartbeats(0));
        assertEquals(1, h.sim().gateway().liveSessions(0).size());
    }

    @Test
    void aShardThatNobodyOwnsHasNoResponders() {
        // jnats cancels the request at once when the server reports no responders (a 503 status).
        CompletableFuture<Message> f = h.client().request("discord.gateway.send.3",
                "{\"op\":3,\"d\":{}}".getBytes(StandardCharsets.UTF_8));
        assertThrows(CancellationException.class, () -> f.get(20, TimeUnit.SECONDS));
    }

    @Test
    void gatewayInfoListsEveryShardOfTheBotWithItsOwner() throws Exception {
        JsonNode info = request("discord.gateway.info", "");
        assertEquals(4, info.get("shard_count").asInt());
        assertEquals(4, info.get("shards").size());
        for (int id = 0; id < 3; id++) {
            JsonNode shard = info.get("shards").get(id);
            assertEquals(id, shard.get("id").asInt());
            assertTrue(shard.hasNonNull("owner"), shard.toString());
        }
        assertEquals("UNOWNED", info.get("shards").get(3).get("state").asText(), "no instance runs shard 3");
    }

    @Test
    void aBurstOf500PresenceUpdatesNeverGetsTheConnectionClosedWith4008() throws Exception {
        long presencesBefore = presenceUpdates(2);
        List<CompletableFuture<Message>> replies = new ArrayList<>();
        String presence = "{\"op\":3,\"d\":{\"since\":null,\"activities\":[],\"status\":\"online\",\"afk\":false}}";
        for (int i = 0; i < 500; i++) {
            replies.add(h.client().request("discord.gateway.send.2", presence.getBytes(StandardCharsets.UTF_8)));
        }
        int ok = 0;
        int refused = 0;
        for (CompletableFuture<Message> f : replies) {
            JsonNode reply = JSON.readTree(f.get(60, TimeUnit.SECONDS).getData());
            if (reply.get("ok").asBoolean()) {
                ok++;
            } else {
                assertTrue(reply.get("error").asText().contains("send budget exhausted"), reply.toString());
                refused++;
            }
        }
        assertEquals(500, ok + refused);
        assertTrue(ok > 0 && refused > 0, ok + " sent, " + refused + " refused");
        // "ok" means the proxy wrote the command; only once the simulator has read them all is "no 4008" proven.
        long sent = ok;
        await().atMost(Duration.ofSeconds(30)).until(() -> presenceUpdates(2) - presencesBefore >= sent);
        assertEquals(sent, presenceUpdates(2) - presencesBefore, "refused commands must not reach Discord");
        assertEquals(0, h.sim().gateway().closesSent(4008));
        assertTrue(proxy.shards().get(2).state().isLive());
    }

    private long presenceUpdates(int shard) {
        return h.sim().gateway().commands(shard).stream().filter(c -> c.op() == Opcode.PRESENCE_UPDATE.code()).count();
    }
}
