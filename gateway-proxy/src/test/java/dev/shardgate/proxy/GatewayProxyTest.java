package dev.shardgate.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.proxy.gateway.ShardState;
import dev.shardgate.proxy.gateway.ShardStatus;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.Endpoint;
import dev.shardgate.simulator.gateway.ResumeRecord;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One proxy with two shards against the simulator and a real nats-server, once per transport compression:
 * publishing, zombie, op 7, drops, garbage, a corrupt compressed stream, op 9, close codes and admin HTTP. Each
 * test checks that the stream holds exactly the simulator's ledger afterwards: nothing lost, nothing duplicated.
 */
@ParameterizedClass(name = "GATEWAY_COMPRESSION={0}")
@ValueSource(strings = {"zlib-stream", "zstd-stream"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("process")
class GatewayProxyTest {
    @Parameter
    private String compression;
    private ProxyHarness h;
    private GatewayProxy proxy;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeParameterizedClassInvocation
    void start() throws Exception {
        h = new ProxyHarness(Simulator.builder().shards(2).maxConcurrency(2).heartbeatInterval(Duration.ofSeconds(1))
                .zlibSplitAbove(512));
        Map<String, String> env = h.env();
        env.put("GATEWAY_COMPRESSION", compression);
        proxy = h.start(env);
        ProxyHarness.awaitReady(proxy);
        assertEquals(Set.of(compression), h.sim.gateway().connectionsByCompress().keySet(),
                "every shard connects with compress=" + compression);
    }

    @AfterParameterizedClassInvocation
    void stop() throws Exception {
        h.close();
    }

    /**
     * Tests share one proxy: a test may end while a shard is still finishing a resume its last fault caused (its
     * events are stored, but RESUMED is not yet), and the simulator injects faults only into authenticated
     * connections. So every test starts from both shards live.
     */
    @BeforeEach
    void bothShardsLive() {
        awaitLive(0);
        awaitLive(1);
    }

    private ShardStatus status(int shard) {
        return proxy.shards().get(shard);
    }

    private void awaitLive(int shard) {
        await().atMost(ProxyHarness.PATIENCE).until(() -> status(shard).state().isLive());
    }

    @Test
    void publishesEveryDispatchWithTheContractsHeaders() {
        h.sim.gateway().burst(0, 50);
        h.sim.gateway().burst(1, 50);
        h.awaitStreamMatchesLedger();
    }

    @Test
    void aZombieConnectionResumesAtTheResumeUrlWithoutLosingOrDuplicatingEvents() {
        long resumesBefore = shard0Resumes().count();
        h.sim.gateway().burst(0, 20);
        assertEquals(1, h.sim.gateway().zombie(0));
        h.sim.gateway().burst(0, 20);
        await().atMost(ProxyHarness.PATIENCE).until(() -> shard0Resumes().count() > resumesBefore);
        awaitLive(0);
        ResumeRecord resume = shard0Resumes().reduce((a, b) -> b).orElseThrow();
        assertEquals(Endpoint.RESUME, resume.endpoint());
        assertEquals(ResumeRecord.Outcome.RESUMED, resume.outcome());
        assertEquals(ShardState.RESUMED, status(0).state());
        h.sim.gateway().heal(0);
        h.awaitStreamMatchesLedger();
    }

    private Stream<ResumeRecord> shard0Resumes() {
        return h.sim.gateway().resumes().stream().filter(r -> r.shardId() == 0);
    }

    @Test
    void reconnectRequestsAndDroppedSocketsResume() {
        long identifies = status(1).identifies();
        long resumesBefore = status(1).resumes();
        assertEquals(1, h.sim.gateway().reconnect(1));
        await().atMost(ProxyHarness.PATIENCE).until(() -> status(1).resumes() > resumesBefore
                && status(1).state().isLive());
        long resumes = status(1).resumes();
        assertEquals(1, h.sim.gateway().dropConnection(1));
        h.sim.gateway().burst(1, 10);
        await().atMost(ProxyHarness.PATIENCE).until(() -> status(1).resumes() > resumes && status(1).state().isLive());
        assertEquals(identifies, status(1).identifies());
        h.awaitStreamMatchesLedger();
    }

    @Test
    void garbageAndACorruptStreamNeverKillTheProcessAndLoseNothing() {
        h.sim.gateway().burst(0, 10);
        assertEquals(1, h.sim.gateway().sendGarbage(0));
        h.sim.gateway().burst(0, 10);
        assertEquals(1, h.sim.gateway().corruptZlib(0));
        h.sim.gateway().burst(0, 10);
        await().atMost(ProxyHarness.PATIENCE).until(() -> status(0).state().isLive());
        h.awaitStreamMatchesLedger();
        assertTrue(proxy.registry().scrape().contains("shardgate_reconnects_total{reason=\"corrupt_stream\""),
                "a corrupt stream must be counted as a reconnect");
    }

    @Test
    void invalidSessionFalseIdentifiesAfterAPauseAndTrueResumes() {
        long identifies = status(1).identifies();
        assertEquals(1, h.sim.gateway().invalidSession(1, false));
        await().atMost(ProxyHarness.PATIENCE).until(() -> status(1).identifies() == identifies + 1
                && status(1).state() == ShardState.READY);
        long resumes = status(1).resumes();
        assertEquals(1, h.sim.gateway().invalidSession(1, true));
        await().atMost(ProxyHarness.PATIENCE).until(() -> status(1).resumes() == resumes + 1
                && status(1).state() == ShardState.RESUMED);
        h.awaitStreamMatchesLedger();
    }

    @Test
    void sessionEndingCloseCodesIdentifyAndOthersResume() {
        long identifies = status(0).identifies();
        long resumes = status(0).resumes();
        assertEquals(1, h.sim.gateway().close(0, 4000));
        await().atMost(ProxyHarness.PATIENCE).until(() -> status(0).resumes() == resumes + 1 && status(0).state().isLive());
        assertEquals(1, h.sim.gateway().close(0, 4009));
        await().atMost(ProxyHarness.PATIENCE).until(() -> status(0).identifies() == identifies + 1
                && status(0).state() == ShardState.READY);
        h.awaitStreamMatchesLedger();
    }

    @Test
    void adminHttpAnswersHealthReadinessShardsAndMetrics() throws Exception {
        awaitLive(0);
        awaitLive(1);
        assertEquals(200, get("/healthz").statusCode());
        assertEquals(200, get("/readyz").statusCode());
        String shards = get("/shards").body();
        assertTrue(shards.startsWith("[{\"id\":0,\"state\":"), shards);
        assertTrue(shards.contains("\"latency_ms\"") && shards.contains("\"identifies\"")
                && shards.contains("\"resumes\"") && shards.contains("\"seq\""), shards);
        String metrics = get("/metrics").body();
        assertTrue(metrics.lines().anyMatch(l -> l.matches("shardgate_shards\\{state=\"(READY|RESUMED)\"} [1-9].*")),
                metrics);
        for (String name : Set.of("shardgate_heartbeat_latency_seconds", "shardgate_events_total",
                "shardgate_identifies_total", "shardgate_resumes_total", "shardgate_publish_latency_seconds",
                "shardgate_identify_budget_remaining", "shardgate_event_stage_seconds{stage=\"decode\",quantile=\"0.99\"}",
                "shardgate_event_stage_seconds{stage=\"queue\",quantile=\"0.5\"}",
                "shardgate_event_stage_seconds_count{stage=\"buffer\"}")) {
            assertTrue(metrics.contains(name), "metrics lack " + name);
        }
        assertEquals(404, get("/nope").statusCode());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }
}
