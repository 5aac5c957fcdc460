package dev.shardgate.proxy.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shardgate.proxy.gateway.IdentifyCoordinator.Claim;
import dev.shardgate.testkit.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The identify queue on its real thread, with virtual time and a scripted coordinator: a grant calls the shard back;
 * two shards of one bucket are never granted within the 5 s window plus the safety margin; a refusal (bucket busy,
 * budget at the reserve, coordinator unreachable) delays only its bucket, for exactly its retry time; a budget that
 * covers some of the waiting shards starts those; a withdrawn shard is never called back; reserved places keep a
 * bucket in shard order.
 *
 * <p>The clock moves only when a test advances it, so every "not yet" is strict. The queue sleeps in real time for
 * the virtual delay it computed, so a long wait is ended by another shard's request, which runs a pass at once (as
 * in a fleet, where Hellos keep coming); when the next bucket is due in a millisecond the queue wakes every real
 * millisecond, so the last millisecond of a wait is advanced without a request.
 */
class IdentifyQueueTest {
    private static final Duration WINDOW = IdentifyQueue.SPACING;
    private static final Duration MS = Duration.ofMillis(1);
    /** Generous: reached only when a test fails, or on a badly loaded machine. */
    private static final Duration AWAIT = Duration.ofSeconds(10);
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private record Claimed(int bucket, Instant at) {
    }

    private record Grant(int shard, Instant at, String thread) {
    }

    /** Answers each bucket from its script first, then from the budget: GRANTED while it lasts, BUDGET_LOW after. */
    private final class ScriptedCoordinator implements IdentifyCoordinator {
        final List<Claimed> claims = new CopyOnWriteArrayList<>();
        final List<Claimed> sent = new CopyOnWriteArrayList<>();
        private final Map<Integer, Queue<Claim>> scripts = new HashMap<>();
        private int budget = 1000;

        synchronized void answer(int bucket, Claim answer) {
            scripts.computeIfAbsent(bucket, b -> new ArrayDeque<>()).add(answer);
        }

        synchronized void budget(int sessionStarts) {
            budget = sessionStarts;
        }

        @Override
        public synchronized Claim claim(int bucket) {
            claims.add(new Claimed(bucket, clock.instant()));
            Queue<Claim> script = scripts.get(bucket);
            Claim scripted = script == null ? null : script.poll();
            if (scripted != null) {
                return scripted;
            }
            if (budget == 0) {
                return Claim.BUDGET_LOW;
            }
            budget--;
            return Claim.GRANTED;
        }

        @Override
        public synchronized int remaining() {
            return budget;
        }

        @Override
        public void sent(int bucket) {
            sent.add(new Claimed(bucket, clock.instant()));
        }

        List<Instant> claimTimes(int bucket) {
            return claims.stream().filter(c -> c.bucket() == bucket).map(Claimed::at).toList();
        }
    }

    private final ManualClock clock = new ManualClock(T0);
    private final ScriptedCoordinator coordinator = new ScriptedCoordinator();
    private final List<Grant> grants = new CopyOnWriteArrayList<>();
    private IdentifyQueue queue;

    private void start(int maxConcurrency) {
        queue = new IdentifyQueue(maxConcurrency, coordinator, clock);
    }

    @AfterEach
    void close() {
        queue.close();
    }

    private void request(int shard) {
        queue.request(shard, id -> grants.add(new Grant(id, clock.instant(), Thread.currentThread().getName())));
    }

    private List<Integer> granted() {
        return grants.stream().map(Grant::shard).toList();
    }

    private Instant grantedAt(int shard) {
        return grants.stream().filter(g -> g.shard() == shard).findFirst().orElseThrow().at();
    }

    /** Waits until exactly these shards were called back, in this order. */
    private void awaitGrants(Integer... shards) {
        await().atMost(AWAIT).untilAsserted(() -> assertEquals(List.of(shards), granted()));
    }

    @Test
    void aGrantCallsTheShardBackOnTheQueueThread() {
        start(1);
        request(0);
        awaitGrants(0);
        assertEquals(new Grant(0, T0, "shardgate-identify-queue"), grants.get(0));
        assertEquals(List.of(new Claimed(0, T0)), coordinator.claims);
        assertEquals(999, queue.remaining(), "the budget as the coordinator last saw it");
    }

    @Test
    void aBucketsSecondShardWaitsTheWindowPlusMarginWhileOtherBucketsGo() {
        start(3);
        request(0);
        request(3);
        request(1);
        // 1's grant comes from a later pass than 3's request: 3 was considered and held back.
        awaitGrants(0, 1);
        assertEquals(T0, grantedAt(1), "another bucket goes at the same instant");

        clock.advance(WINDOW.minus(MS));
        request(2);
        awaitGrants(0, 1, 2);

        clock.advance(MS);
        awaitGrants(0, 1, 2, 3);
        assertEquals(WINDOW, Duration.between(grantedAt(0), grantedAt(3)));
        assertEquals(List.of(T0, T0.plus(WINDOW)), coordinator.claimTimes(0),
                "the coordinator is not even asked for the bucket within the window");
    }

    @Test
    void anIdentifySentLaterThanItsGrantRestartsItsBucketsWindowInTheFleetAndHere() {
        start(2);
        request(0);
        awaitGrants(0);
        Duration late = Duration.ofMillis(300);
        clock.advance(late); // a busy machine: the identify reached its socket 300 ms after the grant
        queue.sent(0);
        await().atMost(AWAIT).untilAsserted(() -> assertEquals(List.of(new Claimed(0, T0.plus(late))),
                coordinator.sent, "the fleet's window restarts at the send"));

        clock.advance(WINDOW.minus(MS)); // past the grant's window, still inside the send's
        request(2);
        request(1); // bucket 1: its grant shows that the pass which held 2 back has run
        awaitGrants(0, 1);

        clock.advance(MS);
        awaitGrants(0, 1, 2);
        assertEquals(T0.plus(late).plus(WINDOW), grantedAt(2));
    }

    static Stream<Arguments> refusals() {
        return Stream.of(Arguments.of(Claim.BUCKET_BUSY, IdentifyQueue.BUSY_RETRY),
                Arguments.of(Claim.BUDGET_LOW, IdentifyQueue.BUDGET_RETRY),
                Arguments.of(Claim.UNAVAILABLE, IdentifyQueue.UNAVAILABLE_RETRY));
    }

    @ParameterizedTest
    @MethodSource("refusals")
    void aRefusalDelaysOnlyItsBucketAndIsAskedAgainAfterItsRetryTime(Claim refusal, Duration retry) {
        start(3);
        coordinator.answer(0, refusal);
        request(0);
        request(1);
        awaitGrants(1);

        clock.advance(retry.minus(MS));
        request(2);
        awaitGrants(1, 2);
        assertEquals(List.of(T0), coordinator.claimTimes(0), "not asked again before the retry time");

        // No request this time: the queue's own wakeup asks again.
        clock.advance(MS);
        awaitGrants(1, 2, 0);
        assertEquals(List.of(T0, T0.plus(retry)), coordinator.claimTimes(0));
    }

    @Test
    void aBusyBucketIsAskedAgainByTheQueuesOwnWakeupAndNotBeforeItsTime() {
        start(2);
        coordinator.answer(0, Claim.BUCKET_BUSY);
        request(0);
        request(1);
        awaitGrants(1);
        // The queue wakes every BUSY_RETRY of real time meanwhile; the frozen clock says it is not due.
        await().during(IdentifyQueue.BUSY_RETRY.multipliedBy(3)).atMost(AWAIT)
                .untilAsserted(() -> assertEquals(List.of(T0), coordinator.claimTimes(0)));

        clock.advance(IdentifyQueue.BUSY_RETRY);
        awaitGrants(1, 0);
        assertEquals(List.of(T0, T0.plus(IdentifyQueue.BUSY_RETRY)), coordinator.claimTimes(0));
    }

    @Test
    void aLowBudgetHoldsBackOnlyTheShardItWasRefusedFor() {
        start(4);
        coordinator.budget(2);
        request(0);
        request(1);
        request(2);
        await().atMost(AWAIT).untilAsserted(() -> assertEquals(3, coordinator.claims.size()));
        assertEquals(List.of(0, 1), granted(), "no all-or-nothing wait for a budget covering every shard");
        assertEquals(0, queue.remaining());

        // The budget was read again (one more start): the next shard to ask is granted at once.
        coordinator.budget(1);
        request(3);
        awaitGrants(0, 1, 3);
        assertEquals(T0, grantedAt(3));
        assertEquals(List.of(T0), coordinator.claimTimes(2), "the refused bucket waits for its retry time");
    }

    @Test
    void aShardWithdrawnBeforeItsGrantIsNeverCalledBackAndGivesUpItsPlace() {
        start(1);
        request(0);
        request(1);
        awaitGrants(0);
        queue.cancel(1);

        clock.advance(WINDOW);
        // Shard 1 would be ahead of 2 in the line had the cancel not removed it.
        request(2);
        awaitGrants(0, 2);
        assertEquals(List.of(T0, T0.plus(WINDOW)), coordinator.claimTimes(0));
    }

    @Test
    void reservedPlacesMakeABucketIdentifyInShardOrderWhateverTheOrderOfHellos() {
        start(2);
        queue.reserve(0);
        queue.reserve(2);
        request(2);
        request(1); // a later pass than 2's request: 2 was held behind 0's reserved place
        awaitGrants(1);
        request(0);
        awaitGrants(1, 0);

        clock.advance(WINDOW);
        request(3);
        awaitGrants(1, 0, 2, 3);
        assertEquals(T0.plus(WINDOW), grantedAt(2));
    }
}
