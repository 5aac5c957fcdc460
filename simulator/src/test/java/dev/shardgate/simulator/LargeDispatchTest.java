package dev.shardgate.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpResponse;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A GUILD_CREATE of 3 MB, as a large guild sends, reaches a zlib-stream client whole: in one websocket message,
 * split over many ({@code zlibSplitAbove}), and when a test dispatches it through the control API.
 */
@Tag("process")
class LargeDispatchTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SIZE = 3 * 1024 * 1024;

    /**
     * A guild with enough members to pass {@link #SIZE}. Avatar hashes are random, so the payload stays large
     * after compression (about 350 KiB), as real member lists do.
     */
    private static String bigGuildCreate() throws Exception {
        Random random = new Random(42);
        ObjectNode guild = JSON.createObjectNode().put("id", "1194611598950412290").put("name", "big guild")
                .put("unavailable", false).put("large", true);
        ArrayNode members = guild.putArray("members");
        long userId = 1535218507309142058L;
        while (JSON.writeValueAsBytes(guild).length < SIZE) {
            for (int i = 0; i < 1000; i++) {
                byte[] avatar = new byte[16];
                random.nextBytes(avatar);
                ObjectNode member = members.addObject();
                member.putObject("user").put("id", Long.toString(userId++)).put("username", "member" + userId)
                        .put("avatar", HexFormat.of().formatHex(avatar)).put("discriminator", "0");
                member.putArray("roles").add("1194611598950412290");
                member.put("joined_at", "2024-01-11T09:30:00.000000+00:00").put("deaf", false).put("mute", false);
            }
        }
        guild.put("member_count", members.size());
        return JSON.writeValueAsString(guild);
    }

    /**
     * Dispatches the guild with {@code send} to a zlib-stream client on shard 0, checks that it arrived byte for
     * byte, and returns the websocket messages that carried it.
     */
    private static List<byte[]> receive(Simulator sim, String d, Sender send) throws Exception {
        GatewayTestClient c = GatewayTestClient.zlib(sim.gateway().url());
        try {
            c.identifyReady("sim-token", 0, 1);
            c.nextDispatch("GUILD_CREATE");
            int before = c.binaryMessages.size();
            send.send(d);
            JsonNode got = c.nextDispatch("GUILD_CREATE");
            assertEquals(d, JSON.writeValueAsString(got.get("d")), "the guild arrives byte for byte");
            assertEquals(List.of(), c.decodeErrors);
            return List.copyOf(c.binaryMessages.subList(before, c.binaryMessages.size()));
        } finally {
            c.close(); // not closeBlocking: the close handshake is not what this test checks
        }
    }

    @FunctionalInterface
    private interface Sender {
        void send(String d) throws Exception;
    }

    @Test
    void aThreeMegabyteGuildCreateArrivesWholeInOneMessage() throws Exception {
        String d = bigGuildCreate();
        try (Simulator sim = Simulator.builder().guildsPerShard(1).start()) {
            List<byte[]> messages = receive(sim, d,
                    big -> assertEquals(1, sim.gateway().dispatch(0, "GUILD_CREATE", big)));
            assertEquals(1, messages.size());
            assertTrue(messages.getFirst().length > 256 * 1024, "still over 256 KiB compressed");
        }
    }

    @Test
    void aThreeMegabyteGuildCreateArrivesWholeSplitOverManyMessages() throws Exception {
        String d = bigGuildCreate();
        try (Simulator sim = Simulator.builder().guildsPerShard(1).zlibSplitAbove(16 * 1024).start()) {
            List<byte[]> messages = receive(sim, d, big -> sim.gateway().dispatch(0, "GUILD_CREATE", big));
            assertTrue(messages.size() > 16, "split into " + messages.size() + " messages");
            assertTrue(messages.stream().allMatch(m -> m.length <= 16 * 1024));
        }
    }

    @Test
    void aThreeMegabyteGuildCreateCanBeDispatchedThroughTheControlApi() throws Exception {
        String d = bigGuildCreate();
        try (Simulator sim = Simulator.builder().guildsPerShard(1).start()) {
            receive(sim, d, big -> {
                HttpResponse<String> r = ControlApiTest.call(sim.controlUrl(), "POST", "/shards/0/dispatch",
                        "{\"t\":\"GUILD_CREATE\",\"d\":" + big + "}");
                assertEquals(200, r.statusCode(), r.body());
            });
        }
    }
}
