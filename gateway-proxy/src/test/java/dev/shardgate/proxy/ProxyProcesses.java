package dev.shardgate.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.DispatchRecord;
import dev.shardgate.testkit.JavaProcess;
import dev.shardgate.testkit.NatsServerProcess;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Gateway proxies as real child processes ({@link ProxyMain} in its own JVM) against one simulator and one
 * nats-server, and the checks the process tests share: readiness over admin HTTP, and "the stream holds exactly
 * these dispatches, each once, byte for byte".
 */
final class ProxyProcesses implements AutoCloseable {
    static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final NatsServerProcess nats;
    private final Simulator sim;
    private final List<JavaProcess> processes = new ArrayList<>();
    private Connection client;

    ProxyProcesses(NatsServerProcess nats, Simulator sim) {
        this.nats = nats;
        this.sim = sim;
    }

    /** Starts a proxy with the gateway role only; {@code extra} adds or overrides settings. */
    RunningProxy start(String instanceId, Map<String, String> extra) {
        int adminPort = NatsServerProcess.freePort();
        Map<String, String> env = new HashMap<>();
        env.put("DISCORD_TOKEN", "sim-token");
        env.put("DISCORD_API_URL", sim.apiUrl());
        env.put("NATS_URL", nats.url());
        env.put("ROLES", "gateway");
        env.put("ADMIN_PORT", Integer.toString(adminPort));
        env.put("REST_PORT", "0");
        env.put("INSTANCE_ID", instanceId);
        env.putAll(extra);
        JavaProcess process = JavaProcess.start(ProxyMain.class, env);
        processes.add(process);
        return new RunningProxy(instanceId, process, adminPort);
    }

    /** The stream holds exactly the simulator's ledger, each dispatch once, with d byte for byte. */
    void awaitStreamHoldsLedger() throws IOException, InterruptedException {
        awaitStreamHolds(sim.gateway()::ledger);
    }

    /** The stream holds exactly these dispatches, each once, with d byte for byte. */
    void awaitStreamHolds(Supplier<List<DispatchRecord>> expected) throws IOException, InterruptedException {
        if (client == null) {
            client = Nats.connect(nats.url());
        }
        await().atMost(PATIENCE).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            List<DispatchRecord> ledger = expected.get();
            Map<String, byte[]> stored = readStream();
            assertEquals(ledger.size(), stored.size(), "dispatches in the stream");
            for (DispatchRecord r : ledger) {
                byte[] body = stored.get(EventHeaders.messageId(r.shardId(), r.sessionId(), r.seq()));
                assertArrayEquals(r.d(), body, "missing or altered: " + r.shardId() + ":" + r.seq() + " " + r.type());
            }
        });
    }

    /** Every message of the event stream by message id, read with one ordered consumer; fails on a duplicate id. */
    private Map<String, byte[]> readStream() throws Exception {
        JetStreamManagement jsm = client.jetStreamManagement();
        long count = jsm.getStreamInfo("DISCORD_EVENTS").getStreamState().getMsgCount();
        Map<String, byte[]> stored = new HashMap<>();
        JetStreamSubscription sub = client.jetStream().subscribe("discord.events.>", PushSubscribeOptions.builder()
                .stream("DISCORD_EVENTS").ordered(true).build());
        try {
            for (long i = 0; i < count; i++) {
                Message m = sub.nextMessage(Duration.ofSeconds(10));
                assertTrue(m != null, "the stream ended early: " + i + " of " + count);
                String id = m.getHeaders().getFirst(EventHeaders.MSG_ID);
                assertTrue(stored.put(id, m.getData()) == null, "stored twice: " + id);
            }
        } finally {
            sub.unsubscribe();
        }
        return stored;
    }

    @Override
    public void close() throws InterruptedException {
        processes.forEach(JavaProcess::close);
        if (client != null) {
            client.close();
        }
    }

    /** A child ProxyMain and its admin HTTP. */
    record RunningProxy(String instanceId, JavaProcess process, int adminPort) {
        HttpResponse<String> get(String path) throws IOException, InterruptedException {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        }

        void awaitReady() {
            await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .failFast("the proxy exited:\n" + process.logText(), () -> !process.isAlive())
                    .until(() -> get("/readyz").statusCode() == 200);
        }

        /** The sum of every series of a Prometheus metric on {@code /metrics}. */
        double metric(String name) throws IOException, InterruptedException {
            return get("/metrics").body().lines()
                    .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
        }

        /** Every shard of SHARD_IDS as {@code /shards} shows it. */
        List<JsonNode> shards() throws IOException, InterruptedException {
            List<JsonNode> out = new ArrayList<>();
            JSON.readTree(get("/shards").body()).forEach(out::add);
            return out;
        }

        /** Waits until every shard is READY or RESUMED here. */
        void awaitServing(int shards) {
            await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .failFast("the proxy exited:\n" + process.logText(), () -> !process.isAlive())
                    .until(() -> {
                        List<JsonNode> list = shards();
                        return list.size() == shards && list.stream().allMatch(s -> s.get("state").asText()
                                .matches("READY|RESUMED"));
                    });
        }
    }
}
