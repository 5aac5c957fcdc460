package dev.shardgate.proxy.rest;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.proxy.rest.shared.ShareMode;
import dev.shardgate.testkit.NatsServerProcess;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.StorageType;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Fencing of the shared REST limits against a real nats-server: a permit carries its leader's term (the lease's KV
 * revision); a follower refuses one from a deposed leader and asks again, and a leader that learns of a newer term
 * grants nothing more. The other party is played over NATS by the test, speaking the wire protocol.
 */
@Tag("process")
class LeaderFencingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LEASE = "discord_rest_lease";
    private static final String MEMBERS = "discord_rest_members";
    private static final String PREFIX = "discord.rest.limiter.";

    @Test
    void aFollowerRefusesAPermitOfAnOlderTermAndAsksAgain() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
             SimulatedDiscord discord = new SimulatedDiscord();
             Connection test = Nats.connect(nats.url())) {
            KeyValue lease = bucket(test, LEASE);
            KeyValue members = bucket(test, MEMBERS);
            // An earlier leader's term, then the current leader's: the later create has the higher revision.
            long earlier = lease.create("leader", bytes("earlier"));
            lease.delete("leader");
            long current = lease.create("leader", bytes("current"));
            assertTrue(current > earlier);
            BlockingQueue<Message> acquires = new LinkedBlockingQueue<>();
            BlockingQueue<JsonNode> ends = new LinkedBlockingQueue<>();
            Dispatcher d = test.createDispatcher();
            d.subscribe(PREFIX + "current.acquire", acquires::add);
            d.subscribe(PREFIX + "current.end", m -> ends.add(read(m)));
            // The current leader renews its lease and its registration, which names its term.
            try (Renewer ignored = new Renewer(() -> {
                lease.put("leader", bytes("current"));
                members.put("current", bytes("LEADER " + current));
            });
                 ProxyUnderTest follower = new ProxyUnderTest(discord.apiUrl(), Map.of("REST_SHARE_LIMITS", "true",
                         "NATS_URL", nats.url(), "REST_REPLICAS", "2"))) {
                await().atMost(Duration.ofSeconds(30)).until(() -> mode(follower) == ShareMode.FOLLOWER);
                // Registered as following: its watch of the registrations had the leader's before that.
                await().atMost(Duration.ofSeconds(5)).until(() -> members.keys().stream()
                        .anyMatch(k -> "FOLLOWER".equals(value(members, k))));
                CompletableFuture<HttpResponse<String>> answer = follower.sendAsync(
                        follower.request("/users/@me").GET().build());

                Message first = acquires.poll(10, TimeUnit.SECONDS);
                assertEquals(current, read(first).get("term").asLong(), "the follower names the newest term it knows");
                // A permit granted under the earlier term: a deposed leader's, however it got here.
                test.publish(first.getReplyTo(), grant("stale", earlier));
                JsonNode end = ends.poll(10, TimeUnit.SECONDS);
                assertEquals("stale", end.get("permit").asText());
                assertEquals("unsent", end.get("end").asText());

                Message second = acquires.poll(10, TimeUnit.SECONDS);
                assertEquals(current, read(second).get("term").asLong());
                test.publish(second.getReplyTo(), grant("fresh", current));
                assertEquals(200, answer.get(30, TimeUnit.SECONDS).statusCode());
                JsonNode answered = ends.poll(10, TimeUnit.SECONDS);
                assertEquals("fresh", answered.get("permit").asText());
                assertEquals("answered", answered.get("end").asText());
                // Sent to Discord once, under the fresh permit only.
                assertEquals(1, discord.rest.observations().requestCounts().values().stream()
                        .mapToInt(Integer::intValue).sum(), () -> discord.rest.observations().requestCounts().toString());
                assertEquals(1.0, follower.registry.get("shardgate.rest.share.fenced").counter().count());
            }
        }
    }

    @Test
    void aLeaderThatLearnsOfANewerTermGrantsNothingMore() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
             SimulatedDiscord discord = new SimulatedDiscord();
             Connection test = Nats.connect(nats.url());
             ProxyUnderTest leader = new ProxyUnderTest(discord.apiUrl(), Map.of("REST_SHARE_LIMITS", "true",
                     "NATS_URL", nats.url(), "REST_REPLICAS", "2"))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> mode(leader) == ShareMode.LEADER);
            KeyValue lease = bucket(test, LEASE);
            KeyValue members = bucket(test, MEMBERS);
            String holder = value(lease, "leader");
            // Its registration names its term, the lease's revision when it was created.
            await().atMost(Duration.ofSeconds(5)).until(() -> String.valueOf(value(members, holder)).startsWith("LEADER "));
            long term = Long.parseLong(value(members, holder).substring("LEADER ".length()));
            String subject = PREFIX + holder + ".acquire";

            JsonNode granted = read(test.request(subject, acquire("a1", term), Duration.ofSeconds(10)));
            assertEquals("a1", granted.get("permit").asText());
            assertEquals(term, granted.get("term").asLong());
            test.publish(PREFIX + holder + ".end", bytes("{\"permit\":\"a1\",\"end\":\"unsent\",\"scope\":\"NONE\"}"));

            // A follower that has seen a newer lease: the leader refuses, and stops leading on that term.
            JsonNode refused = read(test.request(subject, acquire("a2", term + 1), Duration.ofSeconds(10)));
            assertTrue(refused.get("notLeader").asBoolean());
            assertFalse(refused.has("permit"));
            assertEquals(1.0, leader.registry.get("shardgate.rest.share.transitions").tag("from", "LEADER")
                    .tag("to", "FALLBACK").counter().count());

            // Another replica takes the lease (as after this one's pause): the watch deposes it within the tick.
            await().atMost(Duration.ofSeconds(10)).until(() -> mode(leader) == ShareMode.LEADER);
            lease.delete("leader");
            long usurper = lease.create("leader", bytes("usurper"));
            await().atMost(Duration.ofSeconds(1)).until(() -> mode(leader) == ShareMode.FOLLOWER);
            JsonNode late = read(test.request(subject, acquire("a3", term), Duration.ofSeconds(10)));
            assertTrue(late.get("notLeader").asBoolean(), late.toString());
            assertTrue(usurper > term);
        }
    }

    private static ShareMode mode(ProxyUnderTest p) {
        return p.proxy.shared().orElseThrow().mode();
    }

    /** A bucket as the replicas create it (creating it again with the same settings is allowed). */
    private static KeyValue bucket(Connection c, String name) throws Exception {
        c.keyValueManagement().create(KeyValueConfiguration.builder().name(name).ttl(Duration.ofSeconds(3))
                .maxHistoryPerKey(1).storageType(StorageType.Memory).build());
        return c.keyValue(name);
    }

    /** A key's value as text, or null without one. */
    private static String value(KeyValue kv, String key) {
        try {
            KeyValueEntry entry = kv.get(key);
            return entry == null ? null : new String(entry.getValue(), StandardCharsets.UTF_8);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] acquire(String rid, long term) {
        return bytes("{\"rid\":\"" + rid + "\",\"token\":\"0123456789abcdef\",\"method\":\"GET\",\"template\":"
                + "\"/users/@me\",\"majorKind\":\"none\",\"majorValue\":\"\",\"exempt\":false,\"deadlineMillis\":5000,"
                + "\"notBeforeMillis\":0,\"retry\":false,\"term\":" + term + "}");
    }

    private static byte[] grant(String permit, long term) {
        return bytes("{\"permit\":\"" + permit + "\",\"waitedNanos\":0,\"retryAfter\":0,\"notLeader\":false,"
                + "\"term\":" + term + "}");
    }

    private static JsonNode read(Message m) {
        try {
            return JSON.readTree(m.getData());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** What the test's leader writes every 500 ms. */
    private interface Renewal {
        void renew() throws Exception;
    }

    /** Keeps the test's lease alive, as a leader would, until closed. */
    private static final class Renewer implements AutoCloseable {
        private final Thread thread;

        Renewer(Renewal renewal) {
            thread = Thread.ofPlatform().daemon().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        renewal.renew();
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
        }

        @Override
        public void close() {
            thread.interrupt();
        }
    }
}
