package dev.shardgate.proxy.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shardgate.proxy.gateway.ShardState;
import dev.shardgate.proxy.gateway.ShardStatus;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventRatesTest {
    private static final long SECOND = 1_000_000_000L;
    private final EventRates rates = new EventRates();

    private static List<ShardStatus> counts(long shard0, long shard1) {
        return List.of(shard(0, shard0), shard(1, shard1));
    }

    private static ShardStatus shard(int id, long events) {
        return new ShardStatus(id, ShardState.READY, events, 40, 1, 0, null, "pod-a", true, events, null);
    }

    @Test
    void measuresAgainstAReadingOneToTwoPollsOld() {
        assertEquals(Map.of(), rates.update(counts(0, 0), 0), "one reading is no rate");
        assertEquals(Map.of(0, 10.0, 1, 0.0), rates.update(counts(10, 0), SECOND));
        // Two polls: over the last two seconds.
        assertEquals(Map.of(0, 15.0, 1, 1.0), rates.update(counts(30, 2), 2 * SECOND));
        assertEquals(Map.of(0, 15.0, 1, 1.5), rates.update(counts(40, 3), 3 * SECOND));
    }

    @Test
    void aSecondPageAskingAMomentLaterIsMeasuredOverASecondToo() {
        rates.update(counts(0, 0), 0);
        rates.update(counts(10, 0), SECOND);
        assertEquals(10.0, rates.update(counts(20, 0), 2 * SECOND).get(0));
        assertEquals(10.0, rates.update(counts(20, 0), 2 * SECOND + 1_000_000).get(0), 0.01);
    }

    @Test
    void afterNobodyAskedForLongTheRateStartsOver() {
        rates.update(counts(0, 0), 0);
        rates.update(counts(10, 0), SECOND);
        assertEquals(Map.of(), rates.update(counts(5_000, 0), SECOND + EventRates.MAX_SPAN_NANOS + 1));
        assertEquals(Map.of(0, 2.0, 1, 0.0), rates.update(counts(5_002, 0), 2 * SECOND + EventRates.MAX_SPAN_NANOS + 1));
    }

    @Test
    void aShardSeenForTheFirstTimeHasNoRateYet() {
        rates.update(List.of(shard(0, 0)), 0);
        assertEquals(Map.of(0, 4.0), rates.update(counts(4, 100), SECOND));
    }
}
