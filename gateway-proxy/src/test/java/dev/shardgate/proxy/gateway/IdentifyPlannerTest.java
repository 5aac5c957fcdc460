package dev.shardgate.proxy.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.proxy.discovery.GatewayBot.SessionStartLimit;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Identify pacing on virtual time. */
class IdentifyPlannerTest {
    private static final Duration WINDOW = Duration.ofSeconds(5);
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static IdentifyPlanner planner(int total, int remaining, Duration resetAfter, int maxConcurrency) {
        return new IdentifyPlanner(new SessionStartLimit(total, remaining, resetAfter, maxConcurrency), T0, WINDOW,
                Duration.ofHours(24));
    }

    @Test
    void sixteenShardsWithConcurrencyFourStartFourPerWindowInBucketOrder() {
        IdentifyPlanner p = planner(1000, 1000, Duration.ofHours(1), 4);
        for (int shard = 0; shard < 16; shard++) {
            p.enqueue(shard);
        }
        // Connections say Hello in any order; the buckets still serve the lowest shard id first.
        for (int shard = 15; shard >= 0; shard--) {
            p.markReady(shard);
        }
        List<List<Integer>> windows = new ArrayList<>();
        Instant now = T0;
        while (true) {
            windows.add(p.due(now));
            if (p.waiting() == 0) {
                break;
            }
            now = p.nextWakeup(now).orElseThrow();
        }
        assertEquals(List.of(List.of(0, 1, 2, 3), List.of(4, 5, 6, 7), List.of(8, 9, 10, 11), List.of(12, 13, 14, 15)),
                windows);
        assertEquals(T0.plus(WINDOW.multipliedBy(3)), now);
        assertEquals(984, p.remaining());
    }

    @Test
    void neverGrantsABucketTwiceWithinTheWindow() {
        IdentifyPlanner p = planner(1000, 1000, Duration.ofHours(1), 2);
        p.markReady(0);
        p.markReady(2);
        assertEquals(List.of(0), p.due(T0));
        assertEquals(List.of(), p.due(T0.plus(WINDOW).minusMillis(1)));
        assertEquals(Optional.of(T0.plus(WINDOW)), p.nextWakeup(T0.plusSeconds(1)));
        assertEquals(List.of(2), p.due(T0.plus(WINDOW)));
    }

    @Test
    void waitsForResetAfterWhenTheBudgetIsSpent() {
        IdentifyPlanner p = planner(1000, 1, Duration.ofMinutes(30), 1);
        p.markReady(0);
        p.markReady(1);
        assertEquals(List.of(0), p.due(T0));
        Instant later = T0.plus(Duration.ofMinutes(10));
        assertEquals(List.of(), p.due(later));
        assertTrue(p.blockedOnBudget(later));
        assertEquals(Optional.of(T0.plus(Duration.ofMinutes(30))), p.nextWakeup(later));
        assertEquals(List.of(1), p.due(T0.plus(Duration.ofMinutes(30))));
        assertEquals(999, p.remaining());
    }

    @Test
    void aLowerShardThatHasNotSaidHelloYetGoesFirst() {
        IdentifyPlanner p = planner(10, 10, Duration.ofHours(1), 1);
        p.enqueue(0);
        p.markReady(1);
        assertEquals(List.of(), p.due(T0));
        p.markReady(0);
        assertEquals(List.of(0), p.due(T0));
        assertEquals(List.of(1), p.due(T0.plus(WINDOW)));
    }

    @Test
    void aCancelledShardIsNotGranted() {
        IdentifyPlanner p = planner(10, 10, Duration.ofHours(1), 1);
        p.markReady(0);
        p.markReady(1);
        p.cancel(0);
        assertEquals(List.of(1), p.due(T0));
        assertEquals(Optional.empty(), p.nextWakeup(T0));
    }

    @Test
    void aBudgetThatCannotStartEveryShardInLineStartsNoneUntilResetAfter() {
        IdentifyPlanner p = planner(1000, 1, Duration.ofMinutes(30), 2);
        p.enqueue(0);
        p.enqueue(1);
        assertTrue(p.budget(new SessionStartLimit(1000, 1, Duration.ofMinutes(30), 2), T0));
        p.markReady(0);
        p.markReady(1);
        assertEquals(List.of(), p.due(T0));
        assertTrue(p.blockedOnBudget(T0));
        assertEquals(Optional.of(T0.plus(Duration.ofMinutes(30))), p.nextWakeup(T0));
        assertEquals(List.of(0, 1), p.due(T0.plus(Duration.ofMinutes(30))));
        assertEquals(998, p.remaining());
    }

    @Test
    void aBudgetThatCoversEveryShardInLineIsSpentNormally() {
        IdentifyPlanner p = planner(1000, 1000, Duration.ofMinutes(30), 2);
        p.markReady(0);
        p.markReady(1);
        assertFalse(p.budget(new SessionStartLimit(1000, 2, Duration.ofMinutes(30), 2), T0));
        assertEquals(List.of(0, 1), p.due(T0));
        assertEquals(0, p.remaining());
    }

    @Test
    void theBudgetIsStaleOnlyWhenSomeoneWaitsOnAnOldReading() {
        IdentifyPlanner p = planner(1000, 1000, Duration.ofHours(1), 1);
        Duration maxAge = Duration.ofMinutes(1);
        assertFalse(p.budgetStale(T0.plus(Duration.ofHours(2)), maxAge), "nobody waits");
        p.markReady(0);
        assertFalse(p.budgetStale(T0.plusSeconds(59), maxAge));
        assertTrue(p.budgetStale(T0.plusSeconds(60), maxAge));
        // Discord's fresh count includes identifies of other processes; it replaces the local count.
        p.budget(new SessionStartLimit(1000, 400, Duration.ofHours(3), 1), T0.plusSeconds(60));
        assertFalse(p.budgetStale(T0.plusSeconds(61), maxAge));
        assertEquals(400, p.remaining());
        p.budgetUnchanged(T0.plusSeconds(200));
        assertFalse(p.budgetStale(T0.plusSeconds(259), maxAge));
    }

    @Test
    void anIdentifyOfThePreviousProcessKeepsItsBucketWindow() {
        IdentifyPlanner p = planner(1000, 1000, Duration.ofHours(1), 2);
        p.identifiedElsewhere(0, T0.minusSeconds(2));
        p.identifiedElsewhere(1, T0.minusSeconds(30));
        p.markReady(0);
        p.markReady(1);
        assertEquals(List.of(1), p.due(T0), "bucket 1's window ended long ago; bucket 0's has 3 s left");
        assertEquals(Optional.of(T0.plusSeconds(3)), p.nextWakeup(T0));
        assertEquals(List.of(0), p.due(T0.plusSeconds(3)));
    }
}
