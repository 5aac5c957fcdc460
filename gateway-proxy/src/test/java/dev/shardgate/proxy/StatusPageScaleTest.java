package dev.shardgate.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.proxy.admin.AdminServer;
import dev.shardgate.proxy.admin.FakeGateway;
import dev.shardgate.proxy.gateway.ShardState;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The status page with 2,000 shards (two instances sharing them) in headless Chromium, from a gateway view the test
 * controls: every shard has its cell, the legend counts them, a change reaches the one cell without rebuilding the
 * grid, a poll renders quickly, and a person finds one shard by filtering or by its id.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("process")
class StatusPageScaleTest {
    private static final int SHARDS = 2000;
    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private final FakeGateway gateway = new FakeGateway(SHARDS);
    private AdminServer admin;
    private BrowserPage page;

    @BeforeAll
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void start() throws Exception {
        page = BrowserPage.launch();
        admin = AdminServer.start(0, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), FakeGateway.INSTANCE,
                gateway);
    }

    @AfterAll
    void stop() throws Exception {
        if (page != null) {
            page.close();
        }
        if (admin != null) {
            admin.close();
        }
    }

    @Test
    void twoThousandShardsStayUsable() throws Exception {
        page.open("http://127.0.0.1:" + admin.port() + "/");
        await().atMost(PATIENCE).until(() -> page.eval("document.querySelectorAll('#grid .cell').length").asInt()
                == SHARDS);
        assertEquals("1000", page.text("#legend button[data-state=READY] .count"));
        assertEquals("1000", page.text("#legend button[data-state=AWAITING_LEASE] .count"));
        assertEquals(1000, page.eval("document.querySelectorAll('#grid .cell.foreign').length").asInt(),
                "the shards another instance owns are marked");
        assertEquals("pod-a (this): 1000, pod-b: 1000", page.text("#owners"));
        assertTrue(page.eval("document.querySelector('#rest-off').offsetParent !== null").asBoolean(),
                "the page says this process runs no REST role");

        page.eval("document.querySelector(\"#grid .cell[data-shard='1234']\").marker = 'same element'");
        gateway.state(1234, ShardState.FAILED);
        await().atMost(PATIENCE).until(() -> "FAILED".equals(
                page.eval("document.querySelector(\"#grid .cell[data-shard='1234']\").dataset.state").asText()));
        assertEquals("same element",
                page.eval("document.querySelector(\"#grid .cell[data-shard='1234']\").marker").asText(),
                "a poll updates cells in place");
        assertEquals("1", page.text("#legend button[data-state=FAILED] .count"));

        // A poll's rendering of 2,000 shards, measured in the page, stays far below the poll interval.
        double worst = page.eval("(() => { let worst = 0; for (let i = 0; i < 5; i++) {"
                + " const t = performance.now(); render(last); worst = Math.max(worst, performance.now() - t); }"
                + " return worst; })()").asDouble();
        assertTrue(worst < 250, "rendering 2,000 shards took " + worst + " ms");

        page.click("#legend button[data-state=FAILED]");
        assertEquals(SHARDS - 1, page.eval("document.querySelectorAll('#grid .cell.dim').length").asInt());
        page.click("#legend button[data-state=FAILED]");
        assertEquals(0, page.eval("document.querySelectorAll('#grid .cell.dim').length").asInt());

        page.eval("(() => { const f = document.querySelector('#find'); f.value = '1234';"
                + " f.dispatchEvent(new Event('input')); })()");
        assertEquals("Shard 1234", page.text("#detail h2"));
        assertEquals("FAILED", page.text("#detail [data-fact=state]"));
        page.screenshot(Path.of("target/status-page-2000.png"));
        assertEquals(List.of(), page.problems(), "the page logged errors");
    }
}
