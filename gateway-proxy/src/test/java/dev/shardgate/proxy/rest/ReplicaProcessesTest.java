package dev.shardgate.proxy.rest;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.proxy.rest.shared.ShareMode;
import dev.shardgate.testkit.NatsServerProcess;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * REST replicas as real processes ({@code ROLES=rest}) sharing their limits through a real nats-server, in front of
 * the simulator: what happens to clients' requests when the leader process freezes or dies.
 */
class ReplicaProcessesTest {
    private static final long DISCORD_EPOCH = 1_420_070_400_000L;
    private static final Map<String, String> TWO = Map.of("REST_REPLICAS", "2");

    @Test
    void anInteractionCallbackIsAnsweredInTimeWhileTheLeaderIsFrozen() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
             SimulatedDiscord discord = new SimulatedDiscord();
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

    private static HttpResponse<String> send(RestReplicaProcess r, HttpRequest request) throws Exception {
        return r.client.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
