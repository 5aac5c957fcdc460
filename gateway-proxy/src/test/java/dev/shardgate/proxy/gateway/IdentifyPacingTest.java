package dev.shardgate.proxy.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.proxy.ProxyHarnessAccess;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.IdentifyRecord;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * 16 shards with max_concurrency 4 against the simulator, which answers a too-early identify with op 9: every
 * identify accepted, never two of one bucket within 5 s as the simulator received them, and {@code /shards/startup}
 * shows the progress meanwhile.
 */
@Tag("process")
class IdentifyPacingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void sixteenShardsWithConcurrencyFourStartWithCorrectPacingAndShowTheirProgress() throws Exception {
        try (ProxyHarnessAccess h = ProxyHarnessAccess.starting(Simulator.builder().shards(16).maxConcurrency(4)
                .heartbeatInterval(Duration.ofSeconds(5)))) {
            List<JsonNode> progress = new ArrayList<>();
            while (!h.proxy().isReady() && progress.size() < 600) {
                progress.add(startup(h.proxy().adminPort()));
                Thread.sleep(200);
            }
            h.awaitReady();

            List<IdentifyRecord> identifies = h.sim().gateway().identifies();
            assertEquals(16, identifies.size(), identifies.toString());
            assertTrue(identifies.stream().allMatch(r -> r.outcome() == IdentifyRecord.Outcome.ACCEPTED));
            Map<Integer, List<IdentifyRecord>> byBucket = identifies.stream()
                    .collect(Collectors.groupingBy(IdentifyRecord::bucket));
            assertEquals(4, byBucket.size());
            for (List<IdentifyRecord> bucket : byBucket.values()) {
                for (int i = 1; i < bucket.size(); i++) {
                    Duration gap = Duration.between(bucket.get(i - 1).at(), bucket.get(i).at());
                    assertTrue(gap.compareTo(Duration.ofSeconds(5)) >= 0, "bucket identifies " + gap + " apart");
                }
            }
            // Buckets start in order: the first window holds shards 0-3.
            assertEquals(List.of(0, 1, 2, 3), identifies.subList(0, 4).stream().map(IdentifyRecord::shardId).sorted()
                    .toList());
            assertEquals(1000 - 16, h.sim().gateway().sessionStartRemaining());
            assertTrue(h.proxy().shards().stream().allMatch(s -> s.state() == ShardState.READY));

            // Midway: some ready, the next identify and an estimate of at most the rounds left, each round a period.
            JsonNode midway = progress.stream().filter(p -> p.get("ready").asInt() >= 4 && p.get("ready").asInt() < 12)
                    .findFirst().orElseThrow(() -> new AssertionError("no progress seen midway: " + progress));
            assertEquals(16, midway.get("total").asInt());
            assertFalse(midway.get("complete").asBoolean());
            assertTrue(midway.get("next_bucket").isInt(), midway.toString());
            assertTrue(midway.get("rounds_left").asInt() <= 3, midway.toString());
            long left = midway.get("estimate_left_ms").asLong();
            assertTrue(left > 0 && left <= 3 * midway.get("period_ms").asLong(), midway.toString());
            JsonNode done = startup(h.proxy().adminPort());
            assertTrue(done.get("complete").asBoolean(), done.toString());
            assertEquals(16, done.get("ready").asInt());
            assertEquals(0, done.get("rounds_left").asInt());
        }
    }

    private static JsonNode startup(int adminPort) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + adminPort + "/shards/startup")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }
}
