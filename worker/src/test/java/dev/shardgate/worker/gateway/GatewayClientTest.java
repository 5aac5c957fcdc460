package dev.shardgate.worker.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardgate.protocol.Opcode;
import dev.shardgate.protocol.Snowflake;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.testkit.NatsServerProcess;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The command client against a stand-in proxy that answers on the contract's subjects (2 shards, shard 1 owned). */
@Tag("process")
class GatewayClientTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private NatsServerProcess nats;
    private Connection proxySide;
    private Connection workerSide;
    private GatewayClient client;
    private final Map<Integer, List<JsonNode>> received = new ConcurrentHashMap<>();

    @BeforeEach
    void setUp() throws Exception {
        nats = NatsServerProcess.start();
        proxySide = Nats.connect(nats.url());
        workerSide = Nats.connect(nats.url());
        Subjects subjects = new Subjects("discord");
        Dispatcher d = proxySide.createDispatcher();
        d.subscribe(subjects.gatewayInfo(), m -> proxySide.publish(m.getReplyTo(),
                "{\"shard_count\":2,\"shards\":[1]}".getBytes(StandardCharsets.UTF_8)));
        d.subscribe(subjects.gatewaySend(1), m -> {
            try {
                JsonNode command = JSON.readTree(m.getData());
                received.computeIfAbsent(1, s -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(command);
                if (command.path("op").asInt() == 4) {
                    proxySide.publish(m.getReplyTo(), "{\"ok\":false,\"error\":\"op 4 not allowed here\"}".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                proxySide.publish(m.getReplyTo(), "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));
                if (command.path("op").asInt() == 8) {
                    String nonce = command.path("d").path("nonce").asText();
                    for (int i = 0; i < 2; i++) {
                        proxySide.publish(subjects.chunks(nonce), ("{\"chunk_index\":" + i + ",\"chunk_count\":2,"
                                + "\"nonce\":\"" + nonce + "\",\"members\":[{\"user\":{\"id\":\"" + i + "\"}}]}")
                                .getBytes(StandardCharsets.UTF_8));
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        proxySide.flush(Duration.ofSeconds(5));
        client = new GatewayClient(() -> workerSide, subjects, Duration.ofSeconds(5), JSON);
    }

    @AfterEach
    void tearDown() throws Exception {
        workerSide.close();
        proxySide.close();
        nats.close();
    }

    /** A guild id that lands on shard 1 of 2. */
    private static long guildOnShard1() {
        long id = Snowflake.fromTimestampMillis(1_700_000_000_000L);
        while (Snowflake.shardFor(id, 2) != 1) {
            id += 1L << 22;
        }
        return id;
    }

    @Test
    void infoGivesTheShardCount() throws Exception {
        assertEquals(new GatewayInfo(2, List.of(1)), client.info());
    }

    @Test
    void guildCommandsGoToTheGuildsShard() throws Exception {
        ObjectNode voice = JSON.createObjectNode().put("guild_id", Long.toString(guildOnShard1()));
        client.sendToGuild(guildOnShard1(), Opcode.PRESENCE_UPDATE, voice);
        assertEquals(3, received.get(1).get(0).path("op").asInt());
    }

    @Test
    void refusalsAndUnownedShardsAreTypedErrors() {
        GatewayException refused = assertThrows(GatewayException.class,
                () -> client.send(1, Opcode.VOICE_STATE_UPDATE, JSON.createObjectNode()));
        assertTrue(refused.getMessage().contains("op 4 not allowed here"), refused.getMessage());
        assertFalse(refused.retryable());
        GatewayException nobody = assertThrows(GatewayException.class,
                () -> client.send(0, Opcode.PRESENCE_UPDATE, JSON.createObjectNode()));
        assertTrue(nobody.getMessage().contains("no responders"), nobody.getMessage());
    }

    @Test
    void aGuardedClientSendsNothingOnceItsGuardFails() throws Exception {
        boolean[] held = {true};
        GatewayClient guarded = client.guarded(() -> held[0]);
        guarded.send(1, Opcode.PRESENCE_UPDATE, JSON.createObjectNode());
        held[0] = false;
        GatewayException e = assertThrows(GatewayException.class,
                () -> guarded.send(1, Opcode.PRESENCE_UPDATE, JSON.createObjectNode()));
        assertTrue(e.getMessage().contains("no longer holds the event's shard"), e.getMessage());
        assertEquals(1, received.get(1).size(), "only the command sent while the guard held reached the shard");
    }

    @Test
    void presenceGoesToEveryShardAndReportsTheOnesThatFailed() {
        GatewayException e = assertThrows(GatewayException.class,
                () -> client.updatePresence(JSON.createObjectNode().put("status", "online")));
        assertTrue(e.getMessage().contains("failed on 1 of 2 shards"), e.getMessage());
        assertEquals(1, received.get(1).size(), "shard 1 got the presence");
    }

    @Test
    void requestGuildMembersReturnsTheRequestersOwnChunks() throws Exception {
        ObjectNode request = JSON.createObjectNode().put("guild_id", Long.toString(guildOnShard1()))
                .put("query", "").put("limit", 0);
        MemberChunks chunks = client.requestGuildMembers(request, Duration.ofSeconds(10));
        assertTrue(chunks.complete());
        assertEquals(2, chunks.chunks().size());
        assertEquals(2, chunks.members().size());
        assertEquals(chunks.nonce(), received.get(1).get(0).path("d").path("nonce").asText());
    }
}
