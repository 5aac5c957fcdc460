package dev.shardgate.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.protocol.CloseCode;
import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.DispatchRecord;
import dev.shardgate.simulator.gateway.IdentifyRecord;
import dev.shardgate.simulator.gateway.ResumeRecord;
import dev.shardgate.simulator.gateway.SessionState;
import dev.shardgate.simulator.gateway.SessionView;
import dev.shardgate.testkit.JavaProcess;
import dev.shardgate.testkit.NatsServerProcess;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
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
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ProxyMain} as a real child process (CONTRACT.md, SIGTERM): a SIGTERMed proxy leaves every session
 * resumable and the next one resumes; a SIGKILLed proxy's successor identifies; NATS being down at start keeps the
 * process up and unready until NATS comes. The simulator and nats-server run in the test JVM's reach.
 */
class ProxyProcessTest {
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final int SHARDS = 2;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<JavaProcess> processes = new ArrayList<>();
    private NatsServerProcess nats;
    private Simulator sim;
    private Connection client;

    @BeforeEach
    void setUp() {
        nats = NatsServerProcess.start();
        sim = Simulator.builder().token("sim-token").shards(SHARDS).maxConcurrency(SHARDS)
                .heartbeatInterval(Duration.ofSeconds(5)).start();
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        processes.forEach(JavaProcess::close);
        if (client != null) {
            client.close();
        }
        sim.close();
        nats.close();
    }

    @Test
    void sigtermLeavesEverySessionResumableAndTheNextProxyResumesWithEveryEventStoredOnce() throws Exception {
        RunningProxy first = startProxy();
        first.awaitReady();
        for (int shard = 0; shard < SHARDS; shard++) {
            sim.gateway().burst(shard, 40);
        }
        awaitStreamHoldsLedger();
        Map<Integer, String> sessions = liveSessionIds();

        Map<Integer, Long> closesBefore = sim.gateway().closesReceived();
        long exitStarted = System.nanoTime();
        int exit = first.process.terminate(30);
        assertNotEquals(-1, exit, "the proxy did not exit within 30 s of SIGTERM:\n" + first.process.logText());
        assertTrue(Duration.ofNanos(System.nanoTime() - exitStarted).compareTo(Duration.ofSeconds(30)) < 0);
        assertTrue(first.process.logText().contains("handed over " + SHARDS + " session(s)"),
                first.process.logText());
        await().atMost(PATIENCE).until(() -> sim.gateway().connectionCount() == 0);
        for (int shard = 0; shard < SHARDS; shard++) {
            SessionView s = sim.gateway().sessions(shard).get(0);
            assertEquals(SessionState.DISCONNECTED, s.state(), "shard " + shard + "'s session must stay resumable");
        }
        assertEquals(0L, sim.gateway().transitions().getOrDefault("session ACTIVE->INVALIDATED", 0L));
        Map<Integer, Long> closesAtSigterm = new HashMap<>(sim.gateway().closesReceived());
        closesBefore.forEach((code, n) -> closesAtSigterm.merge(code, -n, Long::sum));
        closesAtSigterm.values().removeIf(n -> n == 0);
        assertEquals(Map.of(CloseCode.RESUMABLE_CLIENT_CLOSE, (long) SHARDS), closesAtSigterm,
                "one resumable close frame per shard at SIGTERM, never 1000/1001");

        // Discord keeps sending while no proxy runs; the resume must replay these.
        Map<Integer, Integer> sentWhileDown = new HashMap<>();
        for (int shard = 0; shard < SHARDS; shard++) {
            int before = sim.gateway().ledgerOfSession(sessions.get(shard)).size();
            sim.gateway().burst(shard, 25);
            sentWhileDown.put(shard, sim.gateway().ledgerOfSession(sessions.get(shard)).size() - before);
            assertTrue(sentWhileDown.get(shard) > 0);
        }
        RunningProxy second = startProxy();
        second.awaitReady();
        assertEquals(SHARDS, sim.gateway().identifies().size(), "the next proxy must resume, not identify");
        for (int shard = 0; shard < SHARDS; shard++) {
            int id = shard;
            ResumeRecord resume = sim.gateway().resumes().stream().filter(r -> r.shardId() == id).findFirst()
                    .orElseThrow(() -> new AssertionError("shard " + id + " did not resume"));
            assertEquals(sessions.get(shard), resume.sessionId());
            assertEquals(ResumeRecord.Outcome.RESUMED, resume.outcome());
            assertTrue(resume.replayed() >= sentWhileDown.get(shard), "replayed " + resume.replayed() + " of "
                    + sentWhileDown.get(shard));
        }
        for (JsonNode shard : second.shards()) {
            assertEquals("RESUMED", shard.get("state").asText(), shard.toString());
            assertEquals(0, shard.get("identifies").asInt());
            assertEquals(1, shard.get("resumes").asInt());
        }
        awaitStreamHoldsLedger();
    }

    @Test
    void aSigkilledProxysSuccessorIdentifiesAndRuns() throws Exception {
        RunningProxy first = startProxy();
        first.awaitReady();
        sim.gateway().burst(0, 20);
        awaitStreamHoldsLedger();
        Set<String> firstSessions = Set.copyOf(liveSessionIds().values());
        int ledgerBeforeKill = sim.gateway().ledger().size();
        first.process.kill();

        RunningProxy second = startProxy();
        second.awaitReady();
        List<IdentifyRecord> identifies = sim.gateway().identifies();
        assertEquals(2 * SHARDS, identifies.size(), identifies.toString());
        assertTrue(identifies.stream().allMatch(r -> r.outcome() == IdentifyRecord.Outcome.ACCEPTED),
                identifies.toString());
        assertTrue(sim.gateway().resumes().isEmpty(), "nothing was handed over, so nothing to resume");
        for (int shard = 0; shard < SHARDS; shard++) {
            sim.gateway().burst(shard, 20);
        }
        // The dead proxy's sessions stay resumable for a while and keep collecting events nobody will resume.
        List<DispatchRecord> ledger = sim.gateway().ledger();
        List<DispatchRecord> delivered = new ArrayList<>(ledger.subList(0, ledgerBeforeKill));
        ledger.stream().skip(ledgerBeforeKill).filter(r -> !firstSessions.contains(r.sessionId()))
                .forEach(delivered::add);
        awaitStreamHolds(() -> delivered);
    }

    @Test
    void withNatsDownAtStartTheProcessStaysUpUnreadyAndConnectsWhenNatsComes() throws Exception {
        nats.stop();
        RunningProxy proxy = startProxy();
        await().atMost(PATIENCE).until(() -> proxy.process.logText().contains("cannot connect to NATS at"));
        assertEquals(200, proxy.get("/healthz").statusCode());
        assertEquals(503, proxy.get("/readyz").statusCode());
        assertTrue(proxy.process.isAlive());
        assertTrue(sim.gateway().identifies().isEmpty(), "no shard may start before its events have somewhere to go");

        nats.restart();
        proxy.awaitReady();
        sim.gateway().burst(0, 10);
        awaitStreamHoldsLedger();
    }

    private RunningProxy startProxy() {
        int adminPort = NatsServerProcess.freePort();
        Map<String, String> env = new HashMap<>();
        env.put("DISCORD_TOKEN", "sim-token");
        env.put("DISCORD_API_URL", sim.apiUrl());
        env.put("NATS_URL", nats.url());
        env.put("ROLES", "gateway");
        env.put("ADMIN_PORT", Integer.toString(adminPort));
        env.put("REST_PORT", "0");
        JavaProcess process = JavaProcess.start(ProxyMain.class, env);
        processes.add(process);
        return new RunningProxy(process, adminPort);
    }

    private Map<Integer, String> liveSessionIds() {
        Map<Integer, String> ids = new HashMap<>();
        for (int shard = 0; shard < SHARDS; shard++) {
            List<SessionView> live = sim.gateway().liveSessions(shard);
            assertEquals(1, live.size(), "shard " + shard + ": " + live);
            ids.put(shard, live.get(0).sessionId());
        }
        return ids;
    }

    /** The stream holds every dispatch of the simulator's ledger exactly once, with d byte for byte. */
    private void awaitStreamHoldsLedger() throws IOException, InterruptedException {
        awaitStreamHolds(sim.gateway()::ledger);
    }

    /** The stream holds exactly these dispatches, each once, with d byte for byte. */
    private void awaitStreamHolds(Supplier<List<DispatchRecord>> expected) throws IOException, InterruptedException {
        if (client == null) {
            client = Nats.connect(nats.url());
        }
        JetStreamManagement jsm = client.jetStreamManagement();
        await().atMost(PATIENCE).untilAsserted(() -> {
            List<DispatchRecord> ledger = expected.get();
            long last = jsm.getStreamInfo("DISCORD_EVENTS").getStreamState().getLastSequence();
            Map<String, byte[]> stored = new HashMap<>();
            for (long seq = 1; seq <= last; seq++) {
                MessageInfo m = jsm.getMessage("DISCORD_EVENTS", seq);
                String id = m.getHeaders().getFirst(EventHeaders.MSG_ID);
                assertTrue(stored.put(id, m.getData()) == null, "stored twice: " + id);
            }
            assertEquals(ledger.size(), stored.size());
            for (DispatchRecord r : ledger) {
                byte[] body = stored.get(EventHeaders.messageId(r.shardId(), r.sessionId(), r.seq()));
                assertArrayEquals(r.d(), body, "missing or altered: " + r.shardId() + ":" + r.seq() + " " + r.type());
            }
        });
    }

    /** A child ProxyMain and its admin HTTP. */
    private record RunningProxy(JavaProcess process, int adminPort) {
        HttpResponse<String> get(String path) throws IOException, InterruptedException {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        }

        void awaitReady() {
            await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .failFast("the proxy exited:\n" + process.logText(), () -> !process.isAlive())
                    .until(() -> get("/readyz").statusCode() == 200);
        }

        List<JsonNode> shards() throws IOException, InterruptedException {
            List<JsonNode> out = new ArrayList<>();
            JSON.readTree(get("/shards").body()).forEach(out::add);
            assertEquals(SHARDS, out.size());
            return out;
        }
    }
}
