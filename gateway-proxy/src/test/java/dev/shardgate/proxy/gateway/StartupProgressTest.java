package dev.shardgate.proxy.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardgate.testkit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Start-up progress from shard states and the identify queue's plan: the estimate is the longest bucket line at one
 * identify per period from its next slot, the next identify is the earliest slot, and completion is latched.
 */
class StartupProgressTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration PERIOD = IdentifyQueue.SPACING;

    private static ShardStatus shard(int id, ShardState state) {
        return new ShardStatus(id, state, 0, -1, 0, 0, null, null, true, 0, null);
    }

    private static List<ShardStatus> shards(int ready, int total) {
        List<ShardStatus> list = new ArrayList<>();
        for (int id = 0; id < total; id++) {
            list.add(shard(id, id < ready ? ShardState.READY : ShardState.QUEUED));
        }
        return list;
    }

    @Test
    void theEstimateIsTheLongestLineAtOneIdentifyPerPeriod() {
        Instant now = T0.plusSeconds(1);
        // Bucket 0: 3 in line, due in 2 s; bucket 1: 4 in line, due now (an overdue slot counts as now);
        // bucket 2: 1 in line, due in 0.5 s.
        IdentifyPlan plan = new IdentifyPlan(T0, PERIOD, List.of(
                new IdentifyPlan.Line(0, 3, now.plusSeconds(2)),
                new IdentifyPlan.Line(1, 4, T0),
                new IdentifyPlan.Line(2, 1, now.plusMillis(500))));
        StartupProgress.Snapshot s = StartupProgress.compute(shards(4, 12), plan, now, Duration.ofSeconds(1), false);

        assertEquals(4, s.ready());
        assertEquals(12, s.total());
        assertFalse(s.complete());
        assertEquals(4, s.roundsLeft());
        assertEquals(PERIOD.multipliedBy(3), s.left(), "bucket 1: now, then 3 more periods");
        assertEquals(new IdentifyPlan.Line(1, 4, now), s.next());
        assertEquals("startup: 4/12 shards ready; next identify in 0.0 s (bucket 1); about 15.2 s left "
                + "(4 round(s) of 5.055 s)", s.logLine());

        ObjectNode json = s.toJson();
        assertEquals(4, json.get("ready").asInt());
        assertEquals(12, json.get("total").asInt());
        assertEquals(1, json.get("next_bucket").asInt());
        assertEquals(0, json.get("next_identify_in_ms").asLong());
        assertEquals(PERIOD.multipliedBy(3).toMillis(), json.get("estimate_left_ms").asLong());
        assertFalse(json.get("complete").asBoolean());
    }

    @Test
    void withNothingInLineThereIsNoNextIdentifyAndNoTimeLeft() {
        StartupProgress.Snapshot s = StartupProgress.compute(shards(2, 3), IdentifyPlan.empty(T0, PERIOD), T0,
                Duration.ZERO, false);
        assertNull(s.next());
        assertEquals(Duration.ZERO, s.left());
        assertTrue(s.toJson().get("next_bucket").isNull());
        assertTrue(s.logLine().contains("2/3 shards ready; no identify waiting"), s.logLine());
    }

    @Test
    void aShardServedByAnotherInstanceCountsAsReadyAndNoShardsIsNotComplete() {
        List<ShardStatus> list = List.of(shard(0, ShardState.RESUMED),
                new ShardStatus(1, ShardState.AWAITING_LEASE, 0, -1, 0, 0, null, "pod-b", false, 0, null));
        assertTrue(StartupProgress.compute(list, IdentifyPlan.empty(T0, PERIOD), T0, Duration.ZERO, false).complete());
        assertFalse(StartupProgress.compute(List.of(), IdentifyPlan.empty(T0, PERIOD), T0, Duration.ZERO, false)
                .complete(), "before /gateway/bot answered nothing is known");
    }

    @Test
    void completionIsLatchedWithTheTimeItTook() {
        ManualClock clock = new ManualClock(T0);
        AtomicReference<List<ShardStatus>> states = new AtomicReference<>(shards(0, 2));
        StartupProgress progress = new StartupProgress(states::get, () -> IdentifyPlan.empty(clock.instant(), PERIOD),
                clock);
        clock.advance(Duration.ofSeconds(7));
        assertFalse(progress.snapshot().complete());
        states.set(shards(2, 2));
        StartupProgress.Snapshot done = progress.snapshot();
        assertTrue(done.complete());
        assertEquals(Duration.ofSeconds(7), done.elapsed());
        assertEquals("startup: all 2 shards ready in 7.0 s", done.logLine());

        clock.advance(Duration.ofMinutes(5));
        states.set(shards(1, 2)); // a reconnect later is not start-up
        StartupProgress.Snapshot later = progress.snapshot();
        assertTrue(later.complete());
        assertEquals(1, later.ready());
        assertEquals(Duration.ofSeconds(7), later.elapsed());
    }

    @Test
    void durationsReadAsSecondsThenMinutes() {
        assertEquals("3.2 s", StartupProgress.human(Duration.ofMillis(3240)));
        assertEquals("3 min 05 s", StartupProgress.human(Duration.ofSeconds(185)));
        assertEquals("0.0 s", StartupProgress.human(Duration.ofMillis(-5)));
    }
}
