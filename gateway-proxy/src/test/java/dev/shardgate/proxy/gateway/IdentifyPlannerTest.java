package dev.shardgate.proxy.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The identify line's decisions on caller-supplied time: buckets ({@code shard_id % max_concurrency}) go side by
 * side, one shard per bucket, lowest id first; a bucket's next shard comes a full window after its last grant; a
 * refused bucket waits for its retry time without delaying the others; a cancelled shard leaves the line.
 */
class IdentifyPlannerTest {
    private static final Duration WINDOW = IdentifyQueue.SPACING;
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final IdentifyPlanner planner = new IdentifyPlanner(4, WINDOW);

    @Test
    void shardsOfDifferentBucketsAreOfferedTogetherOnePerBucket() {
        for (int shard = 7; shard >= 0; shard--) {
            planner.markReady(shard);
        }
        assertEquals(List.of(0, 1, 2, 3), planner.candidates(T0));
        assertEquals(8, planner.waiting());
        assertEquals(1, planner.bucketOf(5));
    }

    @Test
    void aBucketOffersItsNextShardOnlyAFullWindowAfterItsLastGrant() {
        planner.markReady(0);
        planner.markReady(4);
        Instant grantedAt = T0.plusSeconds(3); // the window counts from the grant, not from when the shard was ready
        planner.granted(0, grantedAt);
        planner.cancel(0); // the identified shard's connection closing must not give the bucket its window back
        assertEquals(List.of(), planner.candidates(grantedAt));
        assertEquals(List.of(), planner.candidates(grantedAt.plus(WINDOW).minusNanos(1)));
        assertEquals(Optional.of(grantedAt.plus(WINDOW)), planner.nextWakeup(grantedAt));
        assertEquals(List.of(4), planner.candidates(grantedAt.plus(WINDOW)));
        assertEquals(1, planner.waiting());
    }

    @Test
    void aBucketGrantsItsLowestShardFirstWhateverTheOrderOfHellos() {
        planner.markReady(8);
        planner.markReady(4);
        planner.markReady(0);
        Instant now = T0;
        for (int expected : List.of(0, 4, 8)) {
            assertEquals(List.of(expected), planner.candidates(now));
            planner.granted(expected, now);
            now = now.plus(WINDOW);
        }
        assertEquals(List.of(), planner.candidates(now));
        assertEquals(0, planner.waiting());
    }

    @Test
    void aReservedShardHoldsItsPlaceAheadOfHigherShardsUntilItIsReady() {
        planner.enqueue(0);
        planner.markReady(4);
        assertEquals(List.of(), planner.candidates(T0));
        assertEquals(Optional.empty(), planner.nextWakeup(T0), "a bucket whose head is not ready needs no wakeup");
        assertEquals(1, planner.waiting(), "a reserved place is not a request");
        planner.markReady(0);
        assertEquals(List.of(0), planner.candidates(T0));
        assertEquals(2, planner.waiting());
    }

    @Test
    void cancellingWithdrawsARequestOrAReservedPlace() {
        planner.markReady(0);
        planner.markReady(4);
        planner.enqueue(1);
        planner.markReady(5);
        assertEquals(List.of(0), planner.candidates(T0), "5 waits behind the reserved 1");
        planner.cancel(0);
        planner.cancel(1);
        assertEquals(List.of(4, 5), planner.candidates(T0));
        assertEquals(2, planner.waiting());
        planner.cancel(4);
        planner.cancel(5);
        assertEquals(List.of(), planner.candidates(T0));
        assertEquals(Optional.empty(), planner.nextWakeup(T0));
        assertEquals(0, planner.waiting());
    }

    @Test
    void aRefusedBucketWaitsForItsRetryTimeWithoutDelayingTheOthers() {
        planner.markReady(0);
        planner.markReady(1);
        Instant retry = T0.plusMillis(100);
        planner.retryAt(0, retry);
        assertEquals(List.of(1), planner.candidates(T0));
        planner.granted(1, T0);
        assertEquals(Optional.of(retry), planner.nextWakeup(T0));
        assertEquals(List.of(), planner.candidates(retry.minusNanos(1)));
        assertEquals(List.of(0), planner.candidates(retry), "the refused shard keeps its place at the head");
    }

    @Test
    void theNextWakeupIsTheEarliestDueBucketOrNowWhenOneIsOverdue() {
        assertEquals(Optional.empty(), planner.nextWakeup(T0));
        planner.markReady(0);
        planner.markReady(1);
        planner.markReady(4);
        planner.granted(0, T0); // bucket 0 (shard 4) due at T0 + window
        planner.retryAt(1, T0.plusSeconds(1)); // bucket 1 (shard 1) due at T0 + 1 s
        assertEquals(Optional.of(T0.plusSeconds(1)), planner.nextWakeup(T0));
        Instant late = T0.plusSeconds(2);
        assertEquals(Optional.of(late), planner.nextWakeup(late));
    }

    @Test
    void thePlanShowsEachLineItsLengthAndWhenItsHeadIsDue() {
        for (int shard = 0; shard < 10; shard++) {
            planner.enqueue(shard); // in line, not yet ready: counted, due now
        }
        planner.markReady(0);
        planner.granted(0, T0);
        planner.retryAt(1, T0.plusMillis(50));
        IdentifyPlan plan = planner.plan(T0.plusMillis(10));
        assertEquals(WINDOW, plan.period());
        assertEquals(List.of(new IdentifyPlan.Line(0, 2, T0.plus(WINDOW)),
                new IdentifyPlan.Line(1, 3, T0.plusMillis(50)),
                new IdentifyPlan.Line(2, 2, T0.plusMillis(10)),
                new IdentifyPlan.Line(3, 2, T0.plusMillis(10))), plan.lines());
        for (int shard = 1; shard < 10; shard++) {
            planner.cancel(shard);
        }
        assertEquals(List.of(), planner.plan(T0).lines(), "an empty line is left out");
    }
}
