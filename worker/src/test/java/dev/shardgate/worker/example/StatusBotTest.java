package dev.shardgate.worker.example;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.testkit.JavaProcess;
import dev.shardgate.testkit.NatsServerProcess;
import dev.shardgate.worker.DiscordPayloads;
import dev.shardgate.worker.EventStream;
import dev.shardgate.worker.FakeRestProxy;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The bot of docs/worker.md as a real JVM: it registers its slash commands, answers /members with a member-chunk
 * request and /status with a presence change, through a gateway-proxy stand-in on NATS and a REST proxy stand-in.
 */
@Tag("process")
class StatusBotTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void registersItsCommandsAndAnswersMembersAndStatus() throws Exception {
        List<JsonNode> commands = new CopyOnWriteArrayList<>();
        try (NatsServerProcess nats = NatsServerProcess.start();
                EventStream stream = new EventStream(nats.url(), "discord");
                FakeRestProxy rest = new FakeRestProxy();
                Connection proxySide = Nats.connect(nats.url())) {
            stream.create();
            Subjects subjects = new Subjects("discord");
            Dispatcher d = proxySide.createDispatcher();
            d.subscribe(subjects.gatewayInfo(), m -> proxySide.publish(m.getReplyTo(),
                    "{\"shard_count\":1,\"shards\":[0]}".getBytes(StandardCharsets.UTF_8)));
            d.subscribe(subjects.gatewaySend(0), m -> {
                try {
                    JsonNode command = JSON.readTree(m.getData());
                    commands.add(command);
                    proxySide.publish(m.getReplyTo(), "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));
                    if (command.path("op").asInt() == 8) {
                        String nonce = command.path("d").path("nonce").asText();
                        proxySide.publish(subjects.chunks(nonce), ("{\"chunk_index\":0,\"chunk_count\":1,\"nonce\":\""
                                + nonce + "\",\"members\":[{\"user\":{\"id\":\"1\"}},{\"user\":{\"id\":\"2\"}},"
                                + "{\"user\":{\"id\":\"3\"}}]}").getBytes(StandardCharsets.UTF_8));
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            proxySide.flush(Duration.ofSeconds(5));
            try (JavaProcess bot = JavaProcess.start(StatusBot.class, Map.of("NATS_URL", nats.url(),
                    "REST_PROXY_URL", rest.url(), "APPLICATION_ID", "775799577604522054"))) {
                await().atMost(WAIT).until(() -> bot.logText().contains("-> RUNNING"));
                assertEquals("PUT", rest.requests().get(0).method());
                assertEquals("/api/v10/applications/775799577604522054/commands", rest.requests().get(0).path());

                long members = DiscordPayloads.freshId();
                stream.publish(0, 1, "INTERACTION_CREATE", DiscordPayloads.command(members, "members"));
                await().atMost(WAIT).until(() -> rest.requests().size() == 2);
                assertEquals("/api/v10/interactions/" + members + "/abc/callback", rest.requests().get(1).path());
                assertEquals("3 members", JSON.readTree(rest.requests().get(1).body()).path("data").path("content")
                        .asText(), bot.logText());

                long status = DiscordPayloads.freshId();
                stream.publish(0, 2, "INTERACTION_CREATE", DiscordPayloads.command(status, "status",
                        "[{\"name\":\"text\",\"type\":3,\"value\":\"Counting sheep\"}]"));
                await().atMost(WAIT).until(() -> rest.requests().size() == 3);
                assertEquals("Status set", JSON.readTree(rest.requests().get(2).body()).path("data").path("content")
                        .asText(), bot.logText());
                JsonNode presence = commands.stream().filter(c -> c.path("op").asInt() == 3).findFirst().orElseThrow();
                assertEquals("Counting sheep", presence.path("d").path("activities").path(0).path("state").asText());
                assertTrue(commands.stream().anyMatch(c -> c.path("op").asInt() == 8
                        && c.path("d").path("guild_id").asText().equals("81384788765712384")));
            }
        }
    }
}
