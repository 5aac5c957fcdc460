package dev.shardgate.proxy.rest;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.proxy.rest.shared.ShareMode;
import dev.shardgate.simulator.rest.RateLimitScope;
import dev.shardgate.simulator.rest.RestSettings;
import dev.shardgate.simulator.rest.RouteBucket;
import dev.shardgate.testkit.NatsServerProcess;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * REST replicas as real processes ({@code ROLES=rest}) sharing their limits through a real nats-server, in front of
 * the simulator: what happens to clients' requests when the leader process freezes or dies.
 */
@Tag("process")
class ReplicaProcessesTest {
    private static final long DISCORD_EPOCH = 1_420_070_400_000L;
    private static final Map<String, String> TWO = Map.of("REST_REPLICAS", "2");

    @Test
    void anInteractionCallbackIsAnsweredInTimeWhileTheLeaderIsFrozen() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
             SimulatedDiscord discord = new SimulatedDiscord(RestSettings.defaults().withInteractionTokenChecks(true));
             RestReplicaProcess leader = RestReplicaProcess.start(discord, nats, TWO)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> leader.mode() == ShareMode.LEADER);
            try (RestReplicaProcess follower = RestReplicaProcess.start(discord, nats, TWO)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> follower.mode() == ShareMode.FOLLOWER);
                assertEquals(200, send(follower, follower.request("/users/@me").GET().build()).statusCode());

                leader.process.signal("STOP");
                try {
                    CompletableFuture<HttpResponse<String>> throughLeader = follower.client.sendAsync(
                            follower.request("/users/@me").GET().build(), HttpResponse.BodyHandlers.ofString());
                    // The interaction happened now: Discord (the simulator) takes its callback for 3 s only.
                    long interaction = (System.currentTimeMillis() - DISCORD_EPOCH) << 22;
                    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(
                            ("interaction:" + interaction + ":secret").getBytes(StandardCharsets.UTF_8));
                    long start = System.nanoTime();
                    HttpResponse<String> callback = send(follower, follower.request("/interactions/" + interaction
                                    + "/" + token + "/callback").header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"type\":4,\"data\":{\"content\":\"pong\"}}"))
                            .build());
                    Duration took = Duration.ofNanos(System.nanoTime() - start);
                    assertEquals(204, callback.statusCode(), callback.body());
                    assertTrue(took.compareTo(Duration.ofSeconds(1)) < 0, "the callback took " + took);
                    // The leader was frozen all along: a globally limited request still waits for it, and the
                    // follower still follows it (the callback did not wait for a new leader either).
                    assertFalse(throughLeader.isDone());
                    assertEquals(ShareMode.FOLLOWER, follower.mode());
                    leader.process.signal("CONT");
                    assertEquals(200, throughLeader.get().statusCode());
                } finally {
                    leader.process.signal("CONT");
                }
            }
        }
    }

    @Test
    void twoReplicasUnderLoadLoseNothingAndStayUnderTheLimitsWhenTheLeaderIsKilled() throws Exception {
        leaderKilledUnderLoad(2);
    }

    @Test
    void threeReplicasUnderLoadLoseNothingAndStayUnderTheLimitsWhenTheLeaderIsKilled() throws Exception {
        leaderKilledUnderLoad(3);
    }

    /**
     * Steady load (35 requests a second over 60 channels' reads and 10 channels' messages, below the global limit of
     * 50) through every replica, and until the kill one channel's typing once a second, which uses its bucket (5 per
     * 15 s) up for the rest of its window; the leader process is SIGKILLed 6 s in and the load goes on through the
     * others until 16 s. Every request to a survivor succeeds, every request to the killed one succeeded or failed at once
     * with its connection, a survivor leads within a bound, and Discord (the simulator) never answers 429.
     */
    private static void leaderKilledUnderLoad(int count) throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
             SimulatedDiscord discord = new SimulatedDiscord()) {
            discord.rest.setBucketLimit(RouteBucket.TYPING, 5, Duration.ofSeconds(15));
            List<RestReplicaProcess> replicas = new ArrayList<>();
            try {
                for (int i = 0; i < count; i++) {
                    replicas.add(RestReplicaProcess.launch(discord, nats, Map.of("REST_REPLICAS", "" + count)));
                }
                replicas.forEach(RestReplicaProcess::awaitServing);
                await().atMost(Duration.ofSeconds(30)).until(() -> replicas.stream()
                        .filter(r -> r.modeOrNull() == ShareMode.LEADER).count() == 1 && replicas.stream()
                        .filter(r -> r.modeOrNull() == ShareMode.FOLLOWER).count() == count - 1);
                RestReplicaProcess leader = replicas.stream().filter(r -> r.modeOrNull() == ShareMode.LEADER)
                        .findFirst().orElseThrow();
                List<RestReplicaProcess> survivors = replicas.stream().filter(r -> r != leader).toList();

                Map<RestReplicaProcess, List<CompletableFuture<HttpResponse<String>>>> sent = new HashMap<>();
                replicas.forEach(r -> sent.put(r, new ArrayList<>()));
                long start = System.nanoTime();
                long killedAt = 0;
                Duration newLeaderAfter = null;
                for (int i = 0; System.nanoTime() - start < 16_000_000_000L; i++) {
                    long due = start + i * 1_000_000_000L / 35;
                    long now = System.nanoTime();
                    if (due > now) {
                        Thread.sleep((due - now) / 1_000_000, (int) ((due - now) % 1_000_000));
                    }
                    if (killedAt == 0 && now - start > 6_000_000_000L) {
                        leader.process.kill();
                        killedAt = System.nanoTime();
                    }
                    if (killedAt != 0 && newLeaderAfter == null && i % 4 == 0
                            && survivors.stream().anyMatch(r -> r.modeOrNull() == ShareMode.LEADER)) {
                        newLeaderAfter = Duration.ofNanos(System.nanoTime() - killedAt);
                    }
                    List<RestReplicaProcess> alive = killedAt == 0 ? replicas : survivors;
                    RestReplicaProcess to = alive.get(i % alive.size());
                    HttpRequest request = killedAt == 0 && i % 35 == 17
                            ? to.request("/channels/960000000000000000/typing")
                                    .POST(HttpRequest.BodyPublishers.noBody()).build()
                            : i % 7 == 0
                            ? to.request("/channels/" + (940_000_000_000_000_000L + i % 10) + "/messages")
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"load " + i + "\"}")).build()
                            : to.request("/channels/" + (950_000_000_000_000_000L + i % 60)).GET().build();
                    sent.get(to).add(to.client.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
                }
                if (newLeaderAfter == null) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> survivors.stream()
                            .anyMatch(r -> r.modeOrNull() == ShareMode.LEADER));
                    newLeaderAfter = Duration.ofNanos(System.nanoTime() - killedAt);
                }

                int toSurvivors = 0;
                for (RestReplicaProcess r : survivors) {
                    for (CompletableFuture<HttpResponse<String>> f : sent.get(r)) {
                        HttpResponse<String> answer = f.get(60, TimeUnit.SECONDS);
                        assertTrue(answer.statusCode() == 200 || answer.statusCode() == 204, answer.body());
                        toSurvivors++;
                    }
                }
                int answeredByKilled = 0;
                int cutByKill = 0;
                for (CompletableFuture<HttpResponse<String>> f : sent.get(leader)) {
                    try {
                        assertTrue(f.get(60, TimeUnit.SECONDS).statusCode() / 100 == 2);
                        answeredByKilled++;
                    } catch (ExecutionException e) {
                        assertInstanceOf(IOException.class, e.getCause(), "a request to the killed replica");
                        cutByKill++;
                    }
                }
                System.out.printf("%d replicas: %d requests to survivors all 2xx; to the killed leader %d answered, "
                        + "%d cut by the kill; new leader %d ms after the kill; at most %d a second at Discord%n",
                        count, toSurvivors, answeredByKilled, cutByKill, newLeaderAfter.toMillis(),
                        discord.rest.observations().maxRequestsPerSecondOfToken(SimulatedDiscord.TOKEN));
                assertTrue(newLeaderAfter.compareTo(Duration.ofSeconds(8)) < 0, "a new leader after " + newLeaderAfter);
                assertEquals(0, discord.rest.observations().rateLimited(RateLimitScope.GLOBAL));
                assertEquals(0, discord.rest.observations().rateLimited(RateLimitScope.USER));
                assertTrue(discord.rest.observations().maxRequestsPerSecondOfToken(SimulatedDiscord.TOKEN) <= 50);
            } finally {
                replicas.forEach(RestReplicaProcess::close);
            }
        }
    }

    private static HttpResponse<String> send(RestReplicaProcess r, HttpRequest request) throws Exception {
        return r.client.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
