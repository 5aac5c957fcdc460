package dev.shardgate.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.proxy.GatewayProxy;
import dev.shardgate.config.ConfigSource;
import dev.shardgate.proxy.config.ProxyConfig;
import dev.shardgate.proxy.rest.RestProxy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.testkit.JavaProcess;
import dev.shardgate.testkit.NatsServerProcess;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardgate.worker.example.ExampleBot;
import dev.shardgate.worker.gateway.GatewayClient;
import dev.shardgate.worker.gateway.GatewayInfo;
import dev.shardgate.worker.gateway.MemberChunks;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.ConsumerInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Worker JVMs behind the real gateway proxy (in this JVM) and the Discord simulator. */
@Tag("process")
class ProxyEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofMinutes(2);
    private static final int SHARDS = 2;

    private static NatsServerProcess nats;
    private static Simulator sim;
    private static GatewayProxy proxy;
    private static Connection client;

    @BeforeAll
    static void startEdge() throws Exception {
        nats = NatsServerProcess.start();
        // 10 s: the proxy heartbeats several times while the workers are frozen, and a heartbeat a few seconds
        // late on a busy machine is still inside the simulator's 15 s timeout (so it costs no reconnect).
        sim = Simulator.builder().token("sim-token").shards(SHARDS).heartbeatInterval(Duration.ofSeconds(10))
                .eventsPerSecondPerShard(10).start();
        proxy = GatewayProxy.start(ProxyConfig.from(ConfigSource.of(Map.of("DISCORD_TOKEN", "sim-token",
                "DISCORD_API_URL", sim.apiUrl(), "NATS_URL", nats.url(), "ROLES", "gateway", "ADMIN_PORT", "0",
                "REST_PORT", "0"))));
        await().atMost(WAIT).until(proxy::isReady);
        client = Nats.connect(nats.url());
    }

    @AfterAll
    static void stopEdge() throws Exception {
        if (client != null) {
            client.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (sim != null) {
            sim.close();
        }
        if (nats != null) {
            nats.close();
        }
    }

    @Test
    void gatewayClientGetsTheShardCountFromTheProxy() throws Exception {
        GatewayClient gateway = new GatewayClient(() -> client, new Subjects("discord"), Duration.ofSeconds(10), JSON);
        GatewayInfo info = gateway.info();
        assertEquals(SHARDS, info.shardCount());
    }

    @Test
    void presenceGoesToEveryShardThroughTheProxy() throws Exception {
        GatewayClient gateway = new GatewayClient(() -> client, new Subjects("discord"), Duration.ofSeconds(10), JSON);
        gateway.updatePresence(JSON.readTree(
                "{\"since\":null,\"activities\":[],\"status\":\"idle\",\"afk\":false}"));
        await().atMost(WAIT).until(() -> sim.gateway().commands().stream()
                .filter(c -> c.op() == 3 && c.json().contains("idle")).map(c -> c.shardId()).distinct().count() == SHARDS);
    }

    @Test
    void requestGuildMembersReturnsTheRequestersOwnChunks() throws Exception {
        GatewayClient gateway = new GatewayClient(() -> client, new Subjects("discord"), Duration.ofSeconds(10), JSON);
        long guild = sim.gateway().guildIds(1)[0];
        ObjectNode request = JSON.createObjectNode().put("guild_id", Long.toUnsignedString(guild))
                .put("query", "").put("limit", 5);
        MemberChunks chunks = gateway.requestGuildMembers(request, Duration.ofSeconds(30));
        assertTrue(chunks.complete(), "every chunk arrived");
        assertEquals(guild, Long.parseUnsignedLong(chunks.chunks().get(0).path("guild_id").asText()));
        assertFalse(chunks.members().isEmpty());
        assertTrue(sim.gateway().commands(1).stream().anyMatch(c -> c.op() == 8 && c.json().contains(chunks.nonce())),
                "the command went to the guild's shard");
    }

    @Test
    void exampleBotAnswersPingThroughTheRestProxy() throws Exception {
        try (RestProxy rest = RestProxy.start(ProxyConfig.from(ConfigSource.of(Map.of("DISCORD_TOKEN",
                "sim-token", "DISCORD_API_URL", sim.apiUrl(), "ROLES", "rest", "ADMIN_PORT", "0",
                "REST_PORT", "0"))), new SimpleMeterRegistry());
                JavaProcess bot = JavaProcess.start(ExampleBot.class, Map.of("NATS_URL", nats.url(),
                        "WORKER_CONSUMER", "example-bot", "WORKER_METRICS_PORT", "0",
                        "REST_PROXY_URL", "http://127.0.0.1:" + rest.port() + "/api/v10"))) {
            long channel = 880000000000000001L;
            sim.gateway().dispatch(0, "MESSAGE_CREATE", DiscordPayloads.message(Long.toString(channel), "!ping", false));
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest list = HttpRequest.newBuilder(URI.create(sim.apiUrl() + "/channels/" + channel + "/messages"))
                    .header("Authorization", "Bot sim-token").build();
            await().atMost(WAIT).until(() -> http.send(list, HttpResponse.BodyHandlers.ofString()).body()
                    .contains("\"content\":\"pong\""));
            assertTrue(bot.isAlive(), bot.logText());
        }
    }

    @Test
    void allWorkersStoppedForSixtySecondsCostNoReconnectAndTheBacklogIsHandledAfter() throws Exception {
        Path records = Files.createTempDirectory("shardgate-sigstop");
        List<JavaProcess> workers = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                workers.add(JavaProcess.start(RecordingWorker.class, Map.of("NATS_URL", nats.url(),
                        "WORKER_METRICS_PORT", "0", "RECORD_TYPES", "MESSAGE_CREATE,TYPING_START,MESSAGE_REACTION_ADD",
                        "RECORD_FILE", records.resolve("replica-" + i + ".log").toString())));
            }
            await().atMost(WAIT).until(() -> done(records).size() > 20);
            int identifies = sim.gateway().identifies().size();
            int resumes = sim.gateway().resumes().size();

            workers.forEach(w -> w.signal("STOP"));
            long backlogStart = pending();
            Thread.sleep(60_000); // the scenario itself: every worker frozen for 60 s while events keep coming
            long backlog = pending() - backlogStart;
            workers.forEach(w -> w.signal("CONT"));

            assertEquals(identifies, sim.gateway().identifies().size(), "no shard identified again");
            assertEquals(resumes, sim.gateway().resumes().size(), "no shard resumed");
            assertTrue(backlog > 0, "events piled up in the stream while the workers were stopped");
            await().atMost(WAIT).until(() -> {
                ConsumerInfo c = client.jetStreamManagement().getConsumerInfo("DISCORD_EVENTS", "workers");
                return c.getNumPending() == 0 && c.getNumAckPending() == 0;
            });
            System.out.printf("SIGSTOP 60 s: backlog of %d events handled after SIGCONT; %d handled in all%n",
                    backlog, done(records).size());
        } finally {
            workers.forEach(JavaProcess::close);
        }
    }

    private static long pending() throws Exception {
        return client.jetStreamManagement().getConsumerInfo("DISCORD_EVENTS", "workers").getNumPending();
    }

    private static Set<String> done(Path records) throws Exception {
        Set<String> done = new HashSet<>();
        try (var files = Files.list(records)) {
            for (Path f : files.toList()) {
                Files.readAllLines(f).stream().filter(l -> l.startsWith("done ")).map(l -> l.split(" ", -1)[1])
                        .forEach(done::add);
            }
        }
        return done;
    }
}
