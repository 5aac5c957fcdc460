package dev.shardgate.proxy.rest;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.simulator.rest.BucketKey;
import dev.shardgate.simulator.rest.Endpoint;
import dev.shardgate.simulator.rest.RateLimit;
import dev.shardgate.simulator.rest.RateLimitScope;
import dev.shardgate.simulator.rest.RestSettings;
import dev.shardgate.simulator.rest.RouteBucket;
import io.micrometer.core.instrument.Gauge;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The proxy in front of the Discord simulator: Discord's limits are kept, and nothing answers 429 that could be known. */
@Tag("process")
class RestProxyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<AutoCloseable> closing = new ArrayList<>();

    private SimulatedDiscord discord(RestSettings settings) {
        SimulatedDiscord d = new SimulatedDiscord(settings);
        closing.add(d);
        return d;
    }

    private ProxyUnderTest proxy(SimulatedDiscord d, Map<String, String> env) {
        ProxyUnderTest p = new ProxyUnderTest(d.apiUrl(), env);
        closing.add(0, p);
        return p;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private static HttpRequest postMessage(ProxyUnderTest p, long channel, int n) {
        return p.request("/channels/" + channel + "/messages").header("Content-Type", "application/json")
                .POST(ProxyUnderTest.json("{\"content\":\"message " + n + "\"}")).build();
    }

    private static String statuses(List<HttpResponse<String>> answers) {
        Map<String, Long> counts = new java.util.TreeMap<>();
        answers.forEach(r -> counts.merge(r.statusCode() + " " + r.headers().firstValue(RestHeaders.REASON).orElse("")
                + " " + r.body().substring(0, Math.min(80, r.body().length())), 1L, Long::sum));
        return counts.toString();
    }

    private static List<HttpResponse<String>> all(List<CompletableFuture<HttpResponse<String>>> pending) {
        return pending.stream().map(CompletableFuture::join).toList();
    }

    @Test
    void aThousandMessagesToOneChannelAllSucceedAtTheBucketsPaceWithoutA429() {
        SimulatedDiscord d = discord(RestSettings.defaults().withGlobalLimit(1_000));
        d.rest.setBucketLimit(RouteBucket.CREATE_MESSAGE, 200, Duration.ofSeconds(1));
        ProxyUnderTest p = proxy(d, Map.of("REST_GLOBAL_LIMIT", "1000", "REST_MAX_WAIT", "120s"));
        long channel = 820675644227723272L;
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            pending.add(p.sendAsync(postMessage(p, channel, i)));
        }
        List<HttpResponse<String>> answers = all(pending);
        assertEquals(1_000, answers.stream().filter(r -> r.statusCode() == 200).count(), () -> statuses(answers));
        assertEquals(0, d.rest.observations().rateLimited(RateLimitScope.USER));
        assertEquals(0, d.rest.observations().rateLimited(RateLimitScope.GLOBAL));
        assertEquals(1_000, d.rest.observations().requestTimes(
                BucketKey.of(RouteBucket.CREATE_MESSAGE, "channel:" + channel)).size(), "each sent exactly once");
    }

    @Test
    void aBurstWaitsAsLongAsItsClientsDoInsteadOfBeingRefused() {
        // 60 messages to a channel whose bucket lets 5 a second through: the last leave about 12 s after the burst,
        // past the 10 s after which the proxy used to refuse them. By default nothing is refused.
        SimulatedDiscord d = discord(RestSettings.defaults());
        d.rest.setBucketLimit(RouteBucket.CREATE_MESSAGE, 5, Duration.ofSeconds(1));
        ProxyUnderTest p = proxy(d, Map.of());
        long channel = 820675644227723273L;
        long start = System.nanoTime();
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            pending.add(p.sendAsync(postMessage(p, channel, i)));
        }
        List<HttpResponse<String>> answers = all(pending);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertEquals(60, answers.stream().filter(r -> r.statusCode() == 200).count(), () -> statuses(answers));
        assertTrue(took.compareTo(Duration.ofSeconds(10)) > 0, "the burst left within " + took);
        assertEquals(0, d.rest.observations().rateLimited(RateLimitScope.USER));
    }

    @Test
    void beyondWhatItMayHoldTheProxyAnswers503QueueFullAtOnce() throws Exception {
        SimulatedDiscord d = discord(RestSettings.defaults());
        d.rest.setBucketLimit(RouteBucket.CREATE_MESSAGE, 1, Duration.ofSeconds(5));
        ProxyUnderTest p = proxy(d, Map.of("REST_QUEUE_MAX", "3", "REST_QUEUE_MAX_PER_BUCKET", "3"));
        assertEquals(200, p.send(postMessage(p, 77, 0)).statusCode()); // the bucket is now empty for 5 s
        List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            waiting.add(p.sendAsync(postMessage(p, 77, i)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> held(p) == 3);
        long asked = System.nanoTime();
        HttpResponse<String> refused = p.send(postMessage(p, 77, 4));
        assertTrue(Duration.ofNanos(System.nanoTime() - asked).compareTo(Duration.ofSeconds(2)) < 0, "answered at once");
        assertEquals(503, refused.statusCode(), refused.body());
        assertEquals("queue_full", refused.headers().firstValue(RestHeaders.REASON).orElse(""));
        assertEquals("queue_full", JSON.readTree(refused.body()).path("shardgate").asText(), refused.body());
        assertTrue(refused.headers().firstValue("Retry-After").isPresent());
        waiting.forEach(f -> f.cancel(true));
    }

    private static double held(ProxyUnderTest p) {
        return p.registry.get("shardgate.rest.held.requests").gauge().value();
    }

    @Test
    void mixedTrafficOverManyBucketsStaysUnderTheGlobalLimit() {
        SimulatedDiscord d = discord(RestSettings.defaults());
        ProxyUnderTest p = proxy(d, Map.of("REST_MAX_WAIT", "60s"));
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            long channel = 900_000_000_000_000_000L + i % 40;
            pending.add(p.sendAsync(switch (i % 3) {
                case 0 -> postMessage(p, channel, i);
                case 1 -> p.request("/channels/" + channel + "/messages?limit=5").GET().build();
                default -> p.request("/channels/" + channel).GET().build();
            }));
        }
        List<HttpResponse<String>> answers = all(pending);
        assertEquals(200, answers.stream().filter(r -> r.statusCode() == 200).count());
        assertEquals(0, d.rest.observations().rateLimited(RateLimitScope.GLOBAL));
        assertEquals(0, d.rest.observations().rateLimited(RateLimitScope.USER));
        assertTrue(d.rest.observations().maxRequestsPerSecondOfToken(SimulatedDiscord.TOKEN) <= 50);
    }

    @Test
    void slidingWindowBucketsGetNo429sInABurstNorInATrickle() throws Exception {
        SimulatedDiscord d = discord(RestSettings.defaults());
        d.rest.setBucketLimit(RouteBucket.CREATE_MESSAGE, RateLimit.sliding(5, Duration.ofSeconds(2)));
        d.rest.setBucketLimit(RouteBucket.GET_CHANNEL, RateLimit.sliding(5, Duration.ofSeconds(1)));
        ProxyUnderTest p = proxy(d, Map.of("REST_MAX_WAIT", "60s"));
        long channel = 830_000_000_000_000_000L;
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            pending.add(p.sendAsync(postMessage(p, channel, i)));
        }
        for (int i = 0; i < 45; i++) {
            pending.add(p.sendAsync(p.request("/channels/" + (channel + 1 + i % 3)).GET().build()));
        }
        // Then a trickle faster than the bucket allows: slots come back one by one, at uneven times.
        for (int i = 0; i < 12; i++) {
            Thread.sleep(150);
            pending.add(p.sendAsync(postMessage(p, channel, 100 + i)));
        }
        List<HttpResponse<String>> answers = all(pending);
        assertEquals(69, answers.stream().filter(r -> r.statusCode() == 200).count(), () -> statuses(answers));
        assertEquals(0, d.rest.observations().rateLimited(RateLimitScope.USER));
        List<Instant> sent = d.rest.observations().requestTimes(BucketKey.of(RouteBucket.CREATE_MESSAGE,
                "channel:" + channel));
        assertEquals(24, sent.size());
        for (int i = 5; i < sent.size(); i++) {
            assertTrue(Duration.between(sent.get(i - 5), sent.get(i)).toMillis() >= 2_000,
                    "six messages within a sliding window: " + sent);
        }
    }

    @Test
    void interactionCallbacksAreNotHeldBehindASaturatedGlobalLimit() {
        SimulatedDiscord d = discord(RestSettings.defaults());
        ProxyUnderTest p = proxy(d, Map.of("REST_MAX_WAIT", "60s"));
        List<CompletableFuture<HttpResponse<String>>> backlog = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            backlog.add(p.sendAsync(p.request("/channels/" + (910_000_000_000_000_000L + i % 60)).GET().build()));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> backlog.stream().filter(CompletableFuture::isDone).count() >= 50);
        HttpResponse<String> callback = p.send(p.request("/interactions/1234567890123456789/"
                        + "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTphYmM/callback")
                .header("Content-Type", "application/json")
                .POST(ProxyUnderTest.json("{\"type\":4,\"data\":{\"content\":\"pong\"}}")).build());
        long done = backlog.stream().filter(CompletableFuture::isDone).count();
        assertTrue(callback.statusCode() == 204 || callback.statusCode() == 200, callback.body());
        assertTrue(done < 250, "the callback came back while the global queue still held " + (300 - done));
        all(backlog);
        assertEquals(0, d.rest.observations().rateLimited(RateLimitScope.GLOBAL));
    }

    @Test
    void theBreakerStopsForwardingBeforeDiscordsInvalidRequestLimit() {
        SimulatedDiscord d = discord(RestSettings.defaults());
        ProxyUnderTest p = proxy(d, Map.of("REST_INVALID_REQUEST_LIMIT", "40"));
        int fromDiscord = 0;
        int generated = 0;
        for (int i = 0; i < 100; i++) {
            HttpResponse<String> r = p.send(p.request("/users/@me").header("Authorization", "Bot wrong-token-" + i)
                    .GET().build());
            if (r.headers().firstValue(RestHeaders.GENERATED).isPresent()) {
                assertEquals(503, r.statusCode());
                assertEquals("breaker_open", r.headers().firstValue(RestHeaders.REASON).orElseThrow());
                generated++;
            } else {
                assertEquals(401, r.statusCode());
                fromDiscord++;
            }
        }
        assertEquals(40, fromDiscord);
        assertEquals(60, generated);
        assertEquals(40, d.rest.observations().invalidRequestsTotal());
    }

    @Test
    void a401LocksItsTokenSoDiscordSeesOnlyOneInvalidRequest() {
        SimulatedDiscord d = discord(RestSettings.defaults());
        ProxyUnderTest p = proxy(d, Map.of());
        HttpResponse<String> first = p.send(p.request("/users/@me").header("Authorization", "Bot revoked").GET().build());
        HttpResponse<String> second = p.send(p.request("/users/@me").header("Authorization", "Bot revoked").GET().build());
        assertEquals(401, first.statusCode());
        assertTrue(first.headers().firstValue(RestHeaders.GENERATED).isEmpty());
        assertEquals(401, second.statusCode());
        assertEquals("token_locked", second.headers().firstValue(RestHeaders.REASON).orElseThrow());
        assertEquals(200, p.send(p.request("/users/@me").GET().build()).statusCode(), "the bot's token is not locked");
        assertEquals(1, d.rest.observations().invalidRequestsTotal());
    }

    @Test
    void aRequestThatCannotBeSentInTimeGetsAGenerated429AtOnce() throws Exception {
        SimulatedDiscord d = discord(RestSettings.defaults());
        d.rest.setBucketLimit(RouteBucket.CREATE_MESSAGE, 1, Duration.ofSeconds(30));
        ProxyUnderTest p = proxy(d, Map.of());
        assertEquals(200, p.send(postMessage(p, 42, 0)).statusCode());
        HttpResponse<String> late = p.send(p.request("/channels/42/messages").header("Content-Type", "application/json")
                .header(RestHeaders.MAX_WAIT, "2").POST(ProxyUnderTest.json("{\"content\":\"late\"}")).build());
        assertEquals(429, late.statusCode());
        assertEquals("true", late.headers().firstValue(RestHeaders.GENERATED).orElseThrow());
        JsonNode body = JSON.readTree(late.body());
        assertTrue(body.path("retry_after").asDouble() > 25, late.body());
        assertTrue(late.headers().firstValue("Retry-After").isPresent());
        assertEquals(0, d.rest.observations().rateLimited(RateLimitScope.USER));
    }

    @Test
    void aShared429IsRetriedNotSurfaced() {
        SimulatedDiscord d = discord(RestSettings.defaults());
        ProxyUnderTest p = proxy(d, Map.of());
        d.rest.faults().sharedLimit("channel:77", Duration.ofMillis(800));
        HttpResponse<String> r = p.send(postMessage(p, 77, 1));
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(d.rest.observations().rateLimited(RateLimitScope.SHARED) >= 1);
    }

    @Test
    void serverErrorsAreRetriedForIdempotentMethodsOnly() {
        SimulatedDiscord d = discord(RestSettings.defaults());
        ProxyUnderTest p = proxy(d, Map.of());
        d.rest.faults().failNext(Endpoint.GET_CHANNEL, 1, 502);
        assertEquals(200, p.send(p.request("/channels/55").GET().build()).statusCode());
        d.rest.faults().failNext(Endpoint.CREATE_MESSAGE, 2, 502);
        assertEquals(502, p.send(postMessage(p, 55, 1)).statusCode(), "a POST that may have reached Discord is not resent");
        assertEquals(502, p.send(postMessage(p, 55, 2)).statusCode(), "the first POST used up one injected failure only");
        assertEquals(200, p.send(postMessage(p, 55, 3)).statusCode());
    }

    @Test
    void aClientThatHangsUpLeavesTheQueueAndItsRequestIsNeverSent() throws Exception {
        SimulatedDiscord d = discord(RestSettings.defaults());
        d.rest.setBucketLimit(RouteBucket.CREATE_MESSAGE, 1, Duration.ofSeconds(3));
        ProxyUnderTest p = proxy(d, Map.of("REST_MAX_WAIT", "30s"));
        assertEquals(200, p.send(postMessage(p, 88, 0)).statusCode());
        String body = "{\"content\":\"never sent\"}";
        try (RawClient raw = new RawClient(p.proxy.port())) {
            raw.send("POST /api/v10/channels/88/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body);
            await().atMost(Duration.ofSeconds(20)).until(() -> queued(p) == 1);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> queued(p) == 0);
        assertEquals(200, p.send(postMessage(p, 88, 2)).statusCode());
        assertEquals(2, d.rest.observations().requestTimes(BucketKey.of(RouteBucket.CREATE_MESSAGE, "channel:88")).size());
        assertEquals(0, d.rest.observations().rateLimited(RateLimitScope.USER));
    }

    @Test
    void aClientThatSendsItsBodyTooSlowlyIsCutOff() throws Exception {
        SimulatedDiscord d = discord(RestSettings.defaults());
        ProxyUnderTest p = proxy(d, Map.of("REST_BODY_TIMEOUT", "1s"));
        try (RawClient raw = new RawClient(p.proxy.port())) {
            raw.send("POST /api/v10/channels/9/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{\"content\":");
            String answer = raw.readResponse();
            assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
            assertTrue(answer.contains("body_timeout"), answer);
            assertEquals("", raw.readResponse(), "then the proxy closed the connection");
        }
        assertEquals(200, p.send(postMessage(p, 9, 1)).statusCode(), "still serving");
        assertEquals(1, d.rest.observations().requestTimes(BucketKey.of(RouteBucket.CREATE_MESSAGE, "channel:9")).size());
    }

    private static double queued(ProxyUnderTest p) {
        return p.registry.find("shardgate.rest.queue.depth").gauges().stream().mapToDouble(Gauge::value).sum();
    }

    @Test
    void aCloudflareBanStopsTheTokensTrafficInsteadOfHammering() {
        SimulatedDiscord d = discord(RestSettings.defaults().withInvalidRequestBan(3, Duration.ofMinutes(10),
                Duration.ofHours(1)));
        ProxyUnderTest p = proxy(d, Map.of());
        for (int i = 0; i < 3; i++) {
            p.send(p.request("/users/@me").header("Authorization", "Bot wrong-" + i).GET().build());
        }
        HttpResponse<String> banned = p.send(p.request("/channels/5").GET().build());
        assertEquals(429, banned.statusCode());
        assertTrue(banned.headers().firstValue(RestHeaders.GENERATED).isEmpty(), "Cloudflare's answer, unchanged");
        HttpResponse<String> after = p.send(p.request("/channels/5").GET().build());
        assertEquals(503, after.statusCode());
        assertEquals("token_banned", after.headers().firstValue(RestHeaders.REASON).orElseThrow());
        assertEquals(1, d.rest.observations().rateLimited(RateLimitScope.CLOUDFLARE));
    }

    @Test
    void multipartUploadsPassThroughByteForByte() {
        SimulatedDiscord d = discord(RestSettings.defaults());
        ProxyUnderTest p = proxy(d, Map.of());
        String boundary = "xYzZY";
        String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n"
                + "Content-Type: application/json\r\n\r\n"
                + "{\"content\":\"report attached\",\"attachments\":[{\"id\":0,\"filename\":\"report.csv\"}]}\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"files[0]\"; filename=\"report.csv\"\r\n"
                + "Content-Type: text/csv\r\n\r\nguild,shards\r\n820674996354555911,16\r\n--" + boundary + "--\r\n";
        HttpResponse<String> r = p.send(p.request("/channels/66/messages")
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("report.csv"), r.body());
    }

    @Test
    void aSecretKeepsOutClientsThatDoNotPresentIt() {
        SimulatedDiscord d = discord(RestSettings.defaults());
        ProxyUnderTest p = proxy(d, Map.of("REST_PROXY_SECRET", "a-long-enough-proxy-secret"));
        HttpResponse<String> without = p.send(p.request("/users/@me").GET().build());
        assertEquals(401, without.statusCode());
        assertEquals("bad_secret", without.headers().firstValue(RestHeaders.REASON).orElseThrow());
        HttpResponse<String> with = p.send(p.request("/users/@me").header(RestHeaders.SECRET, "a-long-enough-proxy-secret")
                .GET().build());
        assertEquals(200, with.statusCode());
        assertEquals(0, d.rest.observations().invalidRequestsTotal(), "the refused request never reached Discord");
    }

    @Test
    void badInputGetsAClearAnswerAndNeverShowsTheToken() throws Exception {
        SimulatedDiscord d = discord(RestSettings.defaults());
        ProxyUnderTest p = proxy(d, Map.of("REST_MAX_BODY", "1024"));
        try (LogCapture logs = new LogCapture()) {
            List<String> answers = new ArrayList<>();
            String[][] cases = {
                {"GET /api/v10/channels/../users/@me HTTP/1.1", "400"},
                {"GET /api/v10/channels/%2e%2e/users/@me HTTP/1.1", "400"},
                {"GET /api/v9/users/@me HTTP/1.1", "404"},
                {"GET /admin HTTP/1.1", "404"},
                {"BREW /api/v10/users/@me HTTP/1.1", "405"},
                {"GET /api/v10/users/@me HTTP/1.1\r\nX-Evil: a\u0007b", "400"},
                {"POST /api/v10/channels/1/messages HTTP/1.1\r\nContent-Length: 5000", "413"},
            };
            for (String[] c : cases) {
                try (RawClient raw = new RawClient(p.proxy.port())) {
                    raw.send(c[0] + "\r\nHost: x\r\nConnection: close\r\n\r\n");
                    String answer = raw.readResponse();
                    answers.add(answer);
                    assertTrue(answer.startsWith("HTTP/1.1 " + c[1]), c[0] + " -> " + answer);
                    assertTrue(answer.toLowerCase(Locale.ROOT).contains("x-shardgate-generated: true"), answer);
                }
            }
            HttpResponse<String> big = p.send(p.request("/channels/1/messages").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"" + "x".repeat(2000) + "\"}")).build());
            assertEquals(413, big.statusCode());
            assertEquals(200, p.send(p.request("/users/@me").GET().build()).statusCode(), "still serving");
            answers.add(big.body());
            for (String a : answers) {
                assertFalse(a.contains(SimulatedDiscord.TOKEN));
            }
            for (String line : logs.lines()) {
                assertFalse(line.contains(SimulatedDiscord.TOKEN), line);
            }
        }
    }
}
