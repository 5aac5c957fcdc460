package dev.shardgate.proxy.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.proxy.ProxyHarnessAccess;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.IdentifyRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** 16 shards with max_concurrency 4 against the simulator, which answers a too-early identify with op 9. */
class IdentifyPacingTest {
    @Test
    void sixteenShardsWithConcurrencyFourStartWithCorrectPacing() throws Exception {
        try (ProxyHarnessAccess h = ProxyHarnessAccess.start(Simulator.builder().shards(16).maxConcurrency(4)
                .heartbeatInterval(Duration.ofSeconds(5)))) {
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
        }
    }
}
