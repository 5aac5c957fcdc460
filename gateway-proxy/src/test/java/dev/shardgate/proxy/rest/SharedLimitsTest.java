package dev.shardgate.proxy.rest;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.proxy.rest.shared.ShareMode;
import dev.shardgate.simulator.rest.BucketKey;
import dev.shardgate.simulator.rest.RateLimitScope;
import dev.shardgate.simulator.rest.RestSettings;
import dev.shardgate.simulator.rest.RouteBucket;
import dev.shardgate.testkit.NatsServerProcess;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Two REST proxy replicas under load share one view of the limits through NATS, and stay under them without it. */
@Tag("process")
class SharedLimitsTest {

    @Test
    void twoReplicasTogetherStayUnderTheLimitsAndStillDoWhenNatsGoesAway() {
        try (NatsServerProcess nats = NatsServerProcess.start();
             SimulatedDiscord discord = new SimulatedDiscord(RestSettings.defaults())) {
            Map<String, String> env = sharing(nats);
            try (ProxyUnderTest a = new ProxyUnderTest(discord.apiUrl(), env);
                 ProxyUnderTest b = new ProxyUnderTest(discord.apiUrl(), env)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> Set.copyOf(List.of(mode(a), mode(b)))
                        .equals(Set.of(ShareMode.LEADER, ShareMode.FOLLOWER)));

                List<HttpResponse<String>> shared = load(List.of(a, b), 300, 0);
                assertEquals(300, shared.stream().filter(r -> r.statusCode() == 200).count());
                assertUnderTheLimits(discord);

                nats.stop();
                List<HttpResponse<String>> alone = load(List.of(a, b), 120, 1_000);
                assertEquals(120, alone.stream().filter(r -> r.statusCode() == 200).count(),
                        () -> alone.stream().map(r -> r.statusCode() + " " + r.body()).collect(Collectors.joining("\n")));
                // Each replica notices the lost NATS connection on jnats' own thread, not within the requests.
                await().atMost(Duration.ofSeconds(30)).until(() -> mode(a) == ShareMode.FALLBACK
                        && mode(b) == ShareMode.FALLBACK);
                assertUnderTheLimits(discord);
            }
        }
    }

    @Test
    void aSurgeReplicaBeyondRestReplicasShrinksEveryonesShareSoTogetherTheyStayUnderTheLimits() {
        try (NatsServerProcess nats = NatsServerProcess.start();
             SimulatedDiscord discord = new SimulatedDiscord(RestSettings.defaults())) {
            // A rollout's surge: three replicas run where REST_REPLICAS says two.
            Map<String, String> env = sharing(nats);
            try (ProxyUnderTest a = new ProxyUnderTest(discord.apiUrl(), env);
                 ProxyUnderTest b = new ProxyUnderTest(discord.apiUrl(), env);
                 ProxyUnderTest c = new ProxyUnderTest(discord.apiUrl(), env)) {
                List<ProxyUnderTest> all = List.of(a, b, c);
                await().atMost(Duration.ofSeconds(30)).until(() -> all.stream().allMatch(p -> replicas(p) == 3));
                // Cut off from NATS, each keeps the largest membership it saw: a third of every limit, not a half.
                nats.stop();
                await().atMost(Duration.ofSeconds(30)).until(() -> all.stream()
                        .allMatch(p -> mode(p) == ShareMode.FALLBACK));
                assertTrue(all.stream().allMatch(p -> replicas(p) == 3));
                List<HttpResponse<String>> answers = load(all, 300, 2_000);
                assertEquals(300, answers.stream().filter(r -> r.statusCode() == 200).count());
                assertUnderTheLimits(discord);
            }
        }
    }

    @Test
    void whenTheLeaderGoesAwayAFollowerTakesOverWithoutGoingOverTheLimits() {
        try (NatsServerProcess nats = NatsServerProcess.start();
             SimulatedDiscord discord = new SimulatedDiscord(RestSettings.defaults())) {
            Map<String, String> env = sharing(nats);
            try (ProxyUnderTest first = new ProxyUnderTest(discord.apiUrl(), env)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> mode(first) == ShareMode.LEADER);
                try (ProxyUnderTest second = new ProxyUnderTest(discord.apiUrl(), env)) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> mode(second) == ShareMode.FOLLOWER);
                    List<CompletableFuture<HttpResponse<String>>> during = new ArrayList<>();
                    for (int i = 0; i < 150; i++) {
                        during.add(second.sendAsync(second.request("/channels/" + (970_000_000_000_000_000L + i % 50))
                                .GET().build()));
                    }
                    first.close();
                    await().atMost(Duration.ofSeconds(30)).until(() -> mode(second) == ShareMode.LEADER);
                    List<HttpResponse<String>> answers = during.stream().map(CompletableFuture::join).toList();
                    assertEquals(150, answers.stream().filter(r -> r.statusCode() == 200).count());
                    assertEquals(200, second.send(second.request("/users/@me").GET().build()).statusCode());
                    assertUnderTheLimits(discord);
                }
            }
        }
    }

    @Test
    void aLeaderCutOffFromNatsStepsDownBeforeItsLeaseCouldExpire() {
        try (NatsServerProcess nats = NatsServerProcess.start();
             SimulatedDiscord discord = new SimulatedDiscord(RestSettings.defaults());
             ProxyUnderTest leader = new ProxyUnderTest(discord.apiUrl(), Map.of("REST_SHARE_LIMITS", "true",
                     "NATS_URL", nats.url(), "REST_REPLICAS", "2"))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> mode(leader) == ShareMode.LEADER);
            // A partition: the connection stays open and nothing answers, so every KV call waits its timeout.
            nats.freeze();
            long frozenAt = System.nanoTime();
            try {
                await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10))
                        .until(() -> mode(leader) == ShareMode.FALLBACK);
                Duration led = Duration.ofNanos(System.nanoTime() - frozenAt);
                // The last renewal stored was sent before the freeze; the lease lives 3 s from then.
                assertTrue(led.compareTo(Duration.ofMillis(1_800)) < 0, "led on for " + led + " without NATS");
            } finally {
                nats.thaw();
            }
        }
    }

    @Test
    void aFollowersClientThatHangsUpIsNotMistakenForALostLeader() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
             SimulatedDiscord discord = new SimulatedDiscord(RestSettings.defaults())) {
            discord.rest.setBucketLimit(RouteBucket.CREATE_MESSAGE, 1, Duration.ofSeconds(1));
            Map<String, String> env = Map.of("REST_SHARE_LIMITS", "true", "NATS_URL", nats.url(),
                    "REST_REPLICAS", "2", "REST_SHARE_TIMEOUT", "500ms");
            try (ProxyUnderTest leader = new ProxyUnderTest(discord.apiUrl(), env)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> mode(leader) == ShareMode.LEADER);
                try (ProxyUnderTest follower = new ProxyUnderTest(discord.apiUrl(), env)) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> mode(follower) == ShareMode.FOLLOWER);
                    assertEquals(200, follower.send(follower.request("/channels/41/messages")
                            .header("Content-Type", "application/json")
                            .POST(ProxyUnderTest.json("{\"content\":\"first\"}")).build()).statusCode());
                    String body = "{\"content\":\"withdrawn\"}";
                    try (RawClient client = new RawClient(follower.proxy.port())) {
                        // A wait of its own that the bucket's reset fits in, and a leader's silence would run out.
                        client.send("POST /api/v10/channels/41/messages HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                + "application/json\r\n" + RestHeaders.MAX_WAIT + ": 1.5\r\nContent-Length: "
                                + body.length() + "\r\n\r\n" + body);
                        // Held by the follower, queued at the leader behind the bucket's one request a second.
                        await().atMost(Duration.ofSeconds(5)).until(() -> follower.registry
                                .get("shardgate.rest.held.requests").gauge().value() == 1);
                    }
                    // Past the request's wait, the share timeout and jnats' sweep of timed-out requests (5 s): the
                    // follower still follows.
                    await().during(Duration.ofSeconds(8)).atMost(Duration.ofSeconds(9))
                            .until(() -> mode(follower) == ShareMode.FOLLOWER);
                    assertEquals(1, discord.rest.observations().requestTimes(
                            BucketKey.of(RouteBucket.CREATE_MESSAGE, "channel:41")).size());
                }
            }
        }
    }

    /** Two replicas expected, requests that wait up to a minute. */
    private static Map<String, String> sharing(NatsServerProcess nats) {
        return Map.of("REST_SHARE_LIMITS", "true", "NATS_URL", nats.url(), "REST_REPLICAS", "2", "REST_MAX_WAIT", "60s");
    }

    /** Discord answered no 429 and saw at most its global limit in any second. */
    private static void assertUnderTheLimits(SimulatedDiscord discord) {
        assertEquals(0, discord.rest.observations().rateLimited(RateLimitScope.GLOBAL));
        assertEquals(0, discord.rest.observations().rateLimited(RateLimitScope.USER));
        assertTrue(discord.rest.observations().maxRequestsPerSecondOfToken(SimulatedDiscord.TOKEN) <= 50);
    }

    private static ShareMode mode(ProxyUnderTest p) {
        return p.proxy.shared().orElseThrow().mode();
    }

    private static int replicas(ProxyUnderTest p) {
        return (int) p.registry.get("shardgate.rest.share.replicas").gauge().value();
    }

    /** Requests over many channels, taking turns between the replicas, all at once. */
    private static List<HttpResponse<String>> load(List<ProxyUnderTest> replicas, int count, int channelBase) {
        List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ProxyUnderTest p = replicas.get(i % replicas.size());
            long channel = 930_000_000_000_000_000L + channelBase + i % 60;
            pending.add(p.sendAsync(i % 3 == 0
                    ? p.request("/channels/" + channel + "/messages").header("Content-Type", "application/json")
                            .POST(ProxyUnderTest.json("{\"content\":\"hi " + i + "\"}")).build()
                    : p.request("/channels/" + channel).GET().build()));
        }
        return pending.stream().map(CompletableFuture::join).toList();
    }

}
