package dev.shardgate.proxy.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.proxy.rest.RestStatus;
import dev.shardgate.proxy.rest.limit.LimiterStatus;
import dev.shardgate.proxy.rest.limit.TokenState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The admin HTTP's page and {@code /status} without a browser: methods, headers, and what each role shows. */
@Tag("process")
class AdminServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private AdminServer admin;

    @AfterEach
    void close() {
        if (admin != null) {
            admin.close();
        }
    }

    private HttpResponse<byte[]> send(String method, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (headers.length > 0) {
            b.headers(headers);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private JsonNode status() throws Exception {
        return JSON.readTree(send("GET", "/status").body());
    }

    @Test
    void servesThePageWithAPolicyThatAllowsOnlyItsOwnInlineCodeAndThisServer() throws Exception {
        admin = AdminServer.start(0, registry, "pod-a", new FakeGateway(4));
        HttpResponse<byte[]> page = send("GET", "/");
        assertEquals(200, page.statusCode());
        assertEquals("text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElseThrow());
        String html = new String(page.body(), StandardCharsets.UTF_8);
        assertTrue(html.startsWith("<!DOCTYPE html>") && html.contains("fetch(\"status\""), "the page polls /status");
        assertFalse(html.matches("(?s).*(src|href)=\"(https?:)?//.*"), "nothing may load from elsewhere");
        String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
        assertTrue(csp.startsWith("default-src 'none'; connect-src 'self';"), csp);
        assertTrue(csp.matches(".*style-src 'sha256-[A-Za-z0-9+/=]{44}'; script-src 'sha256-[A-Za-z0-9+/=]{44}';.*"),
                csp);
        assertFalse(csp.contains("unsafe"), csp);
        assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElseThrow());

        HttpResponse<byte[]> head = send("HEAD", "/");
        assertEquals(200, head.statusCode());
        assertEquals(0, head.body().length);
        for (String path : List.of("/", "/status")) {
            HttpResponse<byte[]> post = send("POST", path);
            assertEquals(405, post.statusCode());
            assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElseThrow());
        }
        assertEquals(404, send("GET", "/status.html").statusCode());
        assertEquals(404, send("GET", "/index.html").statusCode());
    }

    @Test
    void statusShowsEveryShardAndSaysTheRestRoleIsNotRunningUntilItIsAttached() throws Exception {
        FakeGateway gateway = new FakeGateway(4);
        admin = AdminServer.start(0, registry, "pod-a", gateway);
        JsonNode s = status();
        assertEquals("pod-a", s.get("instance").asText());
        JsonNode g = s.get("gateway");
        assertTrue(g.get("running").asBoolean());
        assertEquals(4, g.get("shards").size());
        JsonNode odd = g.get("shards").get(1);
        assertEquals("AWAITING_LEASE", odd.get("state").asText());
        assertEquals("pod-b", odd.get("owner").asText());
        assertFalse(odd.get("lease_held").asBoolean());
        assertTrue(odd.get("events_per_s").isNull(), "no rate from one reading");
        assertEquals(2, g.get("states").get("READY").asInt());
        assertEquals(2, g.get("states").get("AWAITING_LEASE").asInt());
        assertEquals(4, g.get("startup").get("ready").asInt(), "a shard another instance serves counts as served");
        assertEquals(990, g.get("identify_budget").get("remaining").asInt());
        assertEquals(10, g.get("identify_budget").get("reserve").asInt());
        assertEquals(3, g.get("publisher").get("buffered_events").asInt());
        assertEquals("NOT_CONNECTED_YET", g.get("nats").get("status").asText());
        assertEquals("DISCORD_EVENTS", g.get("nats").get("stream").get("name").asText());
        assertEquals(JSON.readTree("{\"running\":false}"), s.get("rest"));

        Counter.builder("shardgate.rest.requests").tag("route", "POST /channels/:id/messages").tag("status", "200")
                .tag("generated", "false").register(registry).increment(3);
        Counter.builder("shardgate.rest.requests").tag("route", "POST /channels/:id/messages").tag("status", "503")
                .tag("generated", "true").register(registry).increment();
        Counter.builder("shardgate.rest.ratelimited").tag("scope", "shared").register(registry).increment(2);
        LimiterStatus limiter = new LimiterStatus(1.0,
                List.of(new LimiterStatus.TokenStatus("0123456789abcdef", TokenState.ACTIVE, 50, 4, 0, 0, 0)), 7,
                List.of(new LimiterStatus.BucketStatus("0123456789abcdef", "abcd1234", false, "channel:42",
                        List.of("POST /channels/:id/messages"), 5, 1, 2, 3, 4200, false)), 3,
                new LimiterStatus.BreakerStatus(false, 12, 5000, 0));
        admin.attachRest(max -> CompletableFuture.completedFuture(new RestStatus(8081, null, limiter)));
        JsonNode r = status().get("rest");
        assertTrue(r.get("running").asBoolean());
        assertEquals(4, r.get("requests").get("total").asInt());
        assertEquals(3, r.get("requests").get("by_class").get("2xx").asInt());
        assertEquals(1, r.get("requests").get("generated").asInt());
        assertEquals(JSON.readTree("{\"user\":0,\"global\":0,\"shared\":2,\"sublimit\":0,\"cloudflare\":0}"),
                r.get("ratelimited"));
        assertEquals(7, r.get("bucket_count").asInt());
        JsonNode bucket = r.get("buckets").get(0);
        assertEquals("abcd1234", bucket.get("bucket").asText());
        assertEquals("POST /channels/:id/messages", bucket.get("routes").get(0).asText());
        assertEquals(3, bucket.get("queued").asInt());
        assertEquals(12, r.get("breaker").get("invalid_requests").asInt());
        assertEquals("ACTIVE", r.get("tokens").get(0).get("state").asText());

        admin.attachRest(max -> CompletableFuture.failedFuture(new IllegalStateException("closed")));
        assertTrue(status().get("rest").get("error").asText().startsWith("the limiter is closed"));
    }

    @Test
    void aRestOnlyProcessSaysItRunsNoGatewayAndIsAlwaysReady() throws Exception {
        admin = AdminServer.start(0, registry, "rest-1", null);
        assertEquals(JSON.readTree("{\"running\":false}"), status().get("gateway"));
        assertEquals(200, send("GET", "/readyz").statusCode());
        assertEquals("[]", new String(send("GET", "/shards").body(), StandardCharsets.UTF_8));
        assertEquals(404, send("GET", "/shards/startup").statusCode());
    }

    @Test
    void aNatsUrlIsShownWithoutItsCredentials() {
        assertEquals("nats://nats.internal:4222", GatewaySection.withoutCredentials("nats://bot:s3cret@nats.internal:4222"));
        assertEquals("tls://10.0.0.7:4443", GatewaySection.withoutCredentials("tls://10.0.0.7:4443"));
    }

    @Test
    void largeAnswersAreCompressedForClientsThatAcceptGzip() throws Exception {
        admin = AdminServer.start(0, registry, "pod-a", new FakeGateway(2000));
        HttpResponse<byte[]> plain = send("GET", "/status");
        HttpResponse<byte[]> zipped = send("GET", "/status", "Accept-Encoding", "gzip");
        assertEquals("gzip", zipped.headers().firstValue("Content-Encoding").orElseThrow());
        assertTrue(zipped.body().length * 5 < plain.body().length,
                zipped.body().length + " bytes compressed of " + plain.body().length);
        JsonNode unzipped = JSON.readTree(new GZIPInputStream(new ByteArrayInputStream(zipped.body())));
        assertEquals(2000, unzipped.get("gateway").get("shards").size());
    }
    @Test
    void clientsThatHoldEveryConnectionWithoutAskingAnythingAreCutOffSoProbesGetThrough() throws Exception {
        admin = AdminServer.start(0, registry, "pod-a", new FakeGateway(2));
        List<Socket> stuck = new ArrayList<>();
        try {
            for (int i = 0; i < AdminServer.MAX_CONNECTIONS; i++) {
                Socket s = new Socket(InetAddress.getLoopbackAddress(), admin.port());
                s.getOutputStream().write("GET /metr".getBytes(StandardCharsets.US_ASCII)); // and never the rest
                stuck.add(s);
            }
            long start = System.nanoTime();
            HttpResponse<byte[]> health = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + admin.port() + "/healthz"))
                    .timeout(AdminServer.IDLE_TIMEOUT.multipliedBy(4)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, health.statusCode());
            Duration waited = Duration.ofNanos(System.nanoTime() - start);
            // Jetty checks idleness once per timeout: a stuck connection goes within two timeouts
            assertTrue(waited.compareTo(AdminServer.IDLE_TIMEOUT.multipliedBy(3)) < 0, "the probe waited " + waited);
            for (Socket s : stuck) {
                s.setSoTimeout(5_000);
                assertEquals(-1, s.getInputStream().read(), "a stuck connection is closed");
            }
        } finally {
            for (Socket s : stuck) {
                s.close();
            }
        }
    }
}
