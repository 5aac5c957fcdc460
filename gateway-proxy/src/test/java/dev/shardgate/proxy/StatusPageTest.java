package dev.shardgate.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardgate.proxy.ProxyProcesses.RunningProxy;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.testkit.NatsServerProcess;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The status page at {@code /} in headless Chromium against a real proxy ({@link ProxyMain} as a child process with
 * the gateway and REST roles, the simulator, a real nats-server): what a person sees must be what the proxy knows.
 * One story, in order: shards come up through the identify queue (the page shows the queue, then every shard
 * READY), events move a shard's seq, a zombie connection resumes (the cell turns RESUMED, the last resume shows), a
 * REST request appears as its bucket, and a proxy that stops answering (SIGSTOP) shows the stale banner until it
 * answers again. The page must log no error (a Content-Security-Policy violation would).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("process")
class StatusPageTest {
    private static final int SHARDS = 6;
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final Path SCREENSHOT = Path.of("target/status-page.png");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private BrowserPage page;
    private NatsServerProcess nats;
    private Simulator sim;
    private ProxyProcesses fleet;
    private RunningProxy proxy;
    private int restPort;

    /** Installing Chromium on a fresh machine takes minutes, more than a test may. */
    @BeforeAll
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void start() throws Exception {
        page = BrowserPage.launch();
        nats = NatsServerProcess.start();
        // Two identifies per 5 s: the six shards come up in three rounds, so the page has 10 s to show the queue.
        sim = Simulator.builder().token("sim-token").shards(SHARDS).maxConcurrency(2)
                .heartbeatInterval(Duration.ofSeconds(1)).start();
        fleet = new ProxyProcesses(nats, sim);
        restPort = NatsServerProcess.freePort();
        proxy = fleet.start("pod-status", Map.of("ROLES", "gateway,rest", "REST_PORT", Integer.toString(restPort)));
    }

    @AfterAll
    void stop() throws Exception {
        if (proxy != null) {
            proxy.process().signal("CONT");
        }
        for (AutoCloseable c : new AutoCloseable[] {page, fleet, sim, nats}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void thePageShowsWhatTheProxyKnowsLive() throws Exception {
        await().atMost(PATIENCE).ignoreExceptions().until(() -> proxy.get("/healthz").statusCode() == 200);
        page.open("http://127.0.0.1:" + proxy.adminPort() + "/");
        assertEquals("pod-status", awaitText("#instance", "pod-status"));

        // Start-up: the identify queue holds shards back two at a time, and the page shows it.
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100)).until(() -> page.eval(
                "(() => { const cells = [...document.querySelectorAll('#grid .cell')];"
                + " const ready = cells.filter(c => c.dataset.state === 'READY').length;"
                + " return cells.length === " + SHARDS + " && ready >= 2 && ready < " + SHARDS
                + " && cells.some(c => c.dataset.state === 'QUEUED')"
                + " && document.querySelector('#ready').textContent === String(ready)"
                + " && document.querySelector('#total').textContent === '" + SHARDS + "'"
                + " && document.querySelector('#next-identify').textContent.startsWith('in '); })()").asBoolean());
        proxy.awaitServing(SHARDS);
        awaitText("#startup-state", "complete");
        assertEquals(SHARDS, page.eval("document.querySelectorAll('#grid .cell').length").asInt(),
                "one cell per shard");
        assertEquals(Integer.toString(SHARDS), page.text("#legend button[data-state=READY] .count"));
        assertEquals(colour("#legend .swatch[data-state=READY]"), colour("#grid .cell[data-shard='0']"),
                "a READY cell has the READY colour");
        assertNotEquals(colour("#legend .swatch[data-state=QUEUED]"), colour("#legend .swatch[data-state=READY]"));

        // The identify budget is Discord's count: the simulator's.
        awaitText("#budget-remaining", String.format(Locale.ROOT, "%,d", sim.gateway().sessionStartRemaining()));

        // Events move shard 0's seq; the pinned detail follows it, and its rate shows while they arrive.
        page.click("#grid .cell[data-shard='0']");
        long before = shard(0).get("seq").asLong();
        sim.gateway().burst(0, 30);
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100)).until(() -> {
            String rate = page.text("#detail [data-fact='events/s']");
            return rate != null && !rate.equals("measuring…") && Double.parseDouble(rate) > 0;
        });
        await().atMost(PATIENCE).until(() -> shard(0).get("seq").asLong() > before);
        // Nothing else moves the seq: once the page shows what /shards shows, both are the last one received.
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200)).until(() -> String.format(Locale.ROOT, "%,d",
                shard(0).get("seq").asLong()).equals(page.text("#detail [data-fact=seq]")));
        page.hover("#grid .cell[data-shard='2']");
        assertTrue(page.text("#tip").startsWith("Shard 2"), page.text("#tip"));

        // A zombie connection: the proxy resumes it, the cell turns RESUMED and the last resume is shown.
        assertEquals(1, sim.gateway().zombie(1));
        await().atMost(PATIENCE).until(() -> "RESUMED".equals(
                page.eval("document.querySelector(\"#grid .cell[data-shard='1']\").dataset.state").asText()));
        sim.gateway().heal(1);
        assertEquals(colour("#legend .swatch[data-state=RESUMED]"), colour("#grid .cell[data-shard='1']"));
        assertNotEquals(colour("#grid .cell[data-shard='0']"), colour("#grid .cell[data-shard='1']"));
        page.click("#grid .cell[data-shard='1']");
        awaitText("#detail [data-fact=resumes]", "1");
        assertTrue(page.text("#detail [data-fact='last resume']").endsWith(" ago"),
                page.text("#detail [data-fact='last resume']"));
        assertEquals("pod-status (this instance)", page.text("#detail [data-fact=owner]"));

        // NATS and the stream as JetStream reports them.
        assertEquals("CONNECTED", page.text("#nats-status"));
        try (Connection client = Nats.connect(nats.url())) {
            await().atMost(PATIENCE).until(() -> {
                long stored = client.jetStreamManagement().getStreamInfo("DISCORD_EVENTS").getStreamState()
                        .getMsgCount();
                String shown = page.text("#stream-messages");
                return shown != null && shown.startsWith(String.format(Locale.ROOT, "%,d ", stored));
            });
        }

        // A request through the REST port: its bucket, the request count, no 429.
        HttpResponse<String> sent = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + restPort
                + "/api/v10/channels/820675644227723272/messages")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"hello\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, sent.statusCode(), sent.body());
        await().atMost(PATIENCE).until(() -> page.eval("[...document.querySelectorAll('#buckets tbody tr')]"
                + ".some(tr => tr.cells[1].textContent === 'POST /channels/:id/messages'"
                + " && tr.cells[2].textContent === 'channel:820675644227723272'"
                + " && /^[0-5] \\/ 5$/.test(tr.cells[3].textContent))").asBoolean());
        awaitText("#rest-total", "1");
        assertEquals("2xx: 1", page.text("#rest-classes"));
        assertEquals("user 0", page.text("#rest-429 [data-key=user]"));
        assertEquals("CLOSED", page.text("#breaker-state"));
        page.screenshot(SCREENSHOT);
        assertEquals(List.of(), page.problems(), "the page logged errors");

        // The proxy stops answering (a paused process): the page says so, then recovers by itself.
        proxy.process().signal("STOP");
        try {
            await().atMost(PATIENCE).until(() -> page.eval("document.body.classList.contains('stale')"
                    + " && getComputedStyle(document.querySelector('#banner')).display !== 'none'").asBoolean());
            assertTrue(page.text("#banner").contains("Last answer"), page.text("#banner"));
        } finally {
            proxy.process().signal("CONT");
        }
        await().atMost(PATIENCE).until(() -> !page.eval("document.body.classList.contains('stale')").asBoolean());
        assertTrue(page.problems().stream().noneMatch(p -> p.contains("Content Security Policy")
                || p.startsWith("exception")), "the page broke while the proxy did not answer");
    }

    private String awaitText(String selector, String expected) {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100)).until(() -> expected.equals(page.text(selector)));
        return expected;
    }

    private String colour(String selector) throws Exception {
        return page.eval("getComputedStyle(document.querySelector(\"" + selector + "\")).backgroundColor").asText();
    }

    private JsonNode shard(int id) throws Exception {
        return proxy.shards().stream().filter(s -> s.get("id").asInt() == id).findFirst().orElseThrow();
    }
}
