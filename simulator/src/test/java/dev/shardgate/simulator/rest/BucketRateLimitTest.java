package dev.shardgate.simulator.rest;

import static dev.shardgate.simulator.rest.SimulatorServer.body;
import static dev.shardgate.simulator.rest.SimulatorServer.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardgate.protocol.Snowflake;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BucketRateLimitTest {
    private SimulatorServer sim;

    @BeforeEach
    void start() throws Exception {
        sim = new SimulatorServer();
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private HttpResponse<String> send(long channel) throws Exception {
        return sim.json("POST", "channels/" + channel + "/messages", "{\"content\":\"hi\"}");
    }

    @Test
    void successfulAnswersCarryTheBucketHeaders() throws Exception {
        long start = sim.clock.millis();
        HttpResponse<String> first = send(111);
        assertEquals(RouteBucket.CREATE_MESSAGE.hash(), header(first, "X-RateLimit-Bucket"));
        assertTrue(header(first, "X-RateLimit-Bucket").matches("[0-9a-f]{32}"));
        assertEquals("5", header(first, "X-RateLimit-Limit"));
        assertEquals("4", header(first, "X-RateLimit-Remaining"));
        assertEquals("5.000", header(first, "X-RateLimit-Reset-After"));
        assertEquals(String.format(Locale.ROOT, "%.3f", (start + 5000) / 1000.0), header(first, "X-RateLimit-Reset"));

        sim.clock.advance(Duration.ofMillis(1250));
        HttpResponse<String> second = send(111);
        assertEquals("3", header(second, "X-RateLimit-Remaining"));
        assertEquals("3.750", header(second, "X-RateLimit-Reset-After"));
        assertEquals(header(first, "X-RateLimit-Reset"), header(second, "X-RateLimit-Reset"));
    }

    @Test
    void overTheBucketAnswersUserScoped429UntilTheWindowResets() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertEquals(200, send(111).statusCode());
        }
        sim.clock.advance(Duration.ofMillis(1500));
        HttpResponse<String> limited = send(111);
        assertEquals(429, limited.statusCode());
        JsonNode body = body(limited);
        assertEquals("You are being rate limited.", body.get("message").asText());
        assertEquals(3.5, body.get("retry_after").asDouble(), 1e-9);
        assertFalse(body.get("global").asBoolean());
        assertEquals("4", header(limited, "Retry-After"));
        assertEquals("user", header(limited, "X-RateLimit-Scope"));
        assertEquals("0", header(limited, "X-RateLimit-Remaining"));
        assertEquals("3.500", header(limited, "X-RateLimit-Reset-After"));
        assertEquals("1.1 google", header(limited, "Via"));
        assertEquals(null, header(limited, "X-RateLimit-Global"));
        assertEquals(1, sim.rest.observations().rateLimited(RateLimitScope.USER));
        assertEquals(1, sim.rest.observations().invalidRequests("127.0.0.1"));

        assertEquals(200, send(222).statusCode(), "another channel is another limit");
        sim.clock.advance(Duration.ofMillis(3500));
        HttpResponse<String> after = send(111);
        assertEquals(200, after.statusCode());
        assertEquals("4", header(after, "X-RateLimit-Remaining"));
        assertEquals(7, sim.rest.observations().requestTimes(BucketKey.of(RouteBucket.CREATE_MESSAGE,
                "channel:111")).size());
    }

    @Test
    void concurrentRequestsNeverGetMoreThanTheLimit() throws Exception {
        List<Callable<Integer>> calls = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            calls.add(() -> send(333).statusCode());
        }
        List<Integer> statuses = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Future<Integer> status : pool.invokeAll(calls)) {
                statuses.add(status.get());
            }
        }
        assertEquals(5, statuses.stream().filter(s -> s == 200).count());
        assertEquals(15, statuses.stream().filter(s -> s == 429).count());
        assertEquals(20, sim.rest.observations().requestCounts()
                .get(RouteBucket.CREATE_MESSAGE.hash() + ":channel:333"));
    }

    @Test
    void routesSharingAHashShareTheLimitPerMajorParameter() throws Exception {
        String id = body(send(111)).get("id").asText();
        HttpResponse<String> one = sim.get("channels/111/messages/" + id);
        HttpResponse<String> list = sim.get("channels/111/messages?limit=10");
        assertEquals(header(one, "X-RateLimit-Bucket"), header(list, "X-RateLimit-Bucket"));
        assertEquals("4", header(one, "X-RateLimit-Remaining"));
        assertEquals("3", header(list, "X-RateLimit-Remaining"));
        assertEquals(1, body(list).size());
        sim.get("channels/111/messages");
        sim.get("channels/111/messages/" + id);
        sim.get("channels/111/messages");
        assertEquals(429, sim.get("channels/111/messages/" + id).statusCode());

        HttpResponse<String> otherChannel = sim.get("channels/222/messages");
        assertEquals(200, otherChannel.statusCode());
        assertEquals(header(one, "X-RateLimit-Bucket"), header(otherChannel, "X-RateLimit-Bucket"));
        assertEquals("4", header(otherChannel, "X-RateLimit-Remaining"));

        HttpResponse<String> edit = sim.json("PATCH", "channels/111/messages/" + id, "{\"content\":\"x\"}");
        assertNotEquals(header(one, "X-RateLimit-Bucket"), header(edit, "X-RateLimit-Bucket"),
                "editing is a bucket of its own");
    }

    @Test
    void reactionsShareOneBucketWhateverTheEmoji() throws Exception {
        String id = body(send(111)).get("id").asText();
        String reactions = "channels/111/messages/" + id + "/reactions/";
        HttpResponse<String> thumbs = sim.put(reactions + "%F0%9F%91%8D/@me");
        assertEquals(204, thumbs.statusCode());
        assertEquals(RouteBucket.REACTIONS.hash(), header(thumbs, "X-RateLimit-Bucket"));
        assertEquals("0.250", header(thumbs, "X-RateLimit-Reset-After"));
        HttpResponse<String> party = sim.put(reactions + "%F0%9F%8E%89/@me");
        assertEquals(429, party.statusCode());
        assertEquals(RouteBucket.REACTIONS.hash(), header(party, "X-RateLimit-Bucket"));
        sim.clock.advance(Duration.ofMillis(250));
        assertEquals(204, sim.delete(reactions + "%F0%9F%91%8D/@me").statusCode());
    }

    @Test
    void deletingAMessageOlderThan14DaysUsesItsOwnBucket() throws Exception {
        long old = Snowflake.fromTimestampMillis(sim.clock.millis() - Duration.ofDays(15).toMillis());
        sim.rest.putMessage(111, old, "ancient");
        String recent = body(send(111)).get("id").asText();

        HttpResponse<String> oldDelete = sim.delete("channels/111/messages/" + Long.toUnsignedString(old));
        HttpResponse<String> recentDelete = sim.delete("channels/111/messages/" + recent);
        assertEquals(204, oldDelete.statusCode());
        assertEquals(204, recentDelete.statusCode());
        assertEquals(RouteBucket.DELETE_OLD_MESSAGE.hash(), header(oldDelete, "X-RateLimit-Bucket"));
        assertEquals("30", header(oldDelete, "X-RateLimit-Limit"));
        assertEquals(RouteBucket.DELETE_MESSAGE.hash(), header(recentDelete, "X-RateLimit-Bucket"));
        assertEquals("4", header(recentDelete, "X-RateLimit-Remaining"), "the old delete did not use this bucket");
    }

    @Test
    void bucketSizeCanBeChanged() throws Exception {
        sim.rest.setBucketLimit(RouteBucket.CREATE_MESSAGE, 2, Duration.ofSeconds(1));
        assertEquals("1", header(send(111), "X-RateLimit-Remaining"));
        HttpResponse<String> last = send(111);
        assertEquals("2", header(last, "X-RateLimit-Limit"));
        assertEquals("0", header(last, "X-RateLimit-Remaining"));
        assertEquals("1.000", header(last, "X-RateLimit-Reset-After"));
        assertEquals(429, send(111).statusCode());
    }

    @Test
    void channelRenamesHitAHiddenSublimitWhileTheBucketHasRoom() throws Exception {
        assertEquals(200, sim.json("PATCH", "channels/111", "{\"name\":\"one\"}").statusCode());
        sim.clock.advance(Duration.ofSeconds(5));
        assertEquals(200, sim.json("PATCH", "channels/111", "{\"topic\":\"two\"}").statusCode());
        sim.clock.advance(Duration.ofSeconds(5));
        HttpResponse<String> third = sim.json("PATCH", "channels/111", "{\"name\":\"three\"}");
        assertEquals(429, third.statusCode());
        assertEquals("4", header(third, "X-RateLimit-Remaining"), "the advertised bucket still has room");
        assertEquals("user", header(third, "X-RateLimit-Scope"));
        assertTrue(body(third).get("retry_after").asDouble() > 500);

        assertEquals(200, sim.json("PATCH", "channels/111", "{\"nsfw\":true}").statusCode(),
                "other edits are not sublimited");
        assertEquals(200, sim.json("PATCH", "channels/222", "{\"name\":\"elsewhere\"}").statusCode());
        assertEquals("two", body(sim.get("channels/111")).get("topic").asText());
    }
}
