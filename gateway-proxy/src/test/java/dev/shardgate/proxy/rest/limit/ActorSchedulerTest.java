package dev.shardgate.proxy.rest.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The limiter's real scheduler: one task at a time, in order, inline when idle, the rest and timers on its thread. */
class ActorSchedulerTest {

    @Test
    void anIdleLimiterRunsTheTaskOnTheCallersThreadBeforeReturning() {
        try (ActorScheduler scheduler = new ActorScheduler()) {
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            scheduler.execute(() -> ranOn.set(Thread.currentThread()));
            assertSame(Thread.currentThread(), ranOn.get());
        }
    }

    @Test
    void aTaskSubmittedFromATaskRunsAfterItNotInsideIt() throws Exception {
        try (ActorScheduler scheduler = new ActorScheduler()) {
            List<String> order = new ArrayList<>(); // touched by limiter tasks only, one at a time
            CountDownLatch innerRan = new CountDownLatch(1);
            scheduler.execute(() -> {
                order.add("outer begins");
                scheduler.execute(() -> {
                    order.add("inner");
                    innerRan.countDown();
                });
                order.add("outer ends");
            });
            assertTrue(innerRan.await(10, TimeUnit.SECONDS));
            assertEquals(List.of("outer begins", "outer ends", "inner"), order);
        }
    }

    @Test
    void tasksFromManyThreadsNeverOverlapAndEachSubmittersTasksKeepTheirOrder() throws Exception {
        int threads = 8;
        int perThread = 20_000;
        try (ActorScheduler scheduler = new ActorScheduler()) {
            AtomicInteger inside = new AtomicInteger();
            AtomicInteger overlaps = new AtomicInteger();
            int[] lastSeen = new int[threads]; // written by tasks only: safe if and only if they never overlap
            AtomicInteger outOfOrder = new AtomicInteger();
            CountDownLatch allRan = new CountDownLatch(threads * perThread);
            List<Thread> submitters = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int submitter = t;
                submitters.add(Thread.ofPlatform().start(() -> {
                    for (int i = 1; i <= perThread; i++) {
                        int n = i;
                        scheduler.execute(() -> {
                            if (inside.incrementAndGet() != 1) {
                                overlaps.incrementAndGet();
                            }
                            if (lastSeen[submitter] != n - 1) {
                                outOfOrder.incrementAndGet();
                            }
                            lastSeen[submitter] = n;
                            inside.decrementAndGet();
                            allRan.countDown();
                        });
                    }
                }));
            }
            for (Thread t : submitters) {
                t.join();
            }
            assertTrue(allRan.await(30, TimeUnit.SECONDS), "every task ran; left: " + allRan.getCount());
            assertEquals(0, overlaps.get(), "tasks that ran while another was running");
            assertEquals(0, outOfOrder.get(), "tasks that ran before one submitted earlier by the same thread");
        }
    }

    @Test
    void workQueuedWhileACallerRunsATaskIsDrainedByTheLimiterThreadNotByThatCaller() throws Exception {
        try (ActorScheduler scheduler = new ActorScheduler()) {
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch blockerRunning = new CountDownLatch(1);
            Thread blocker = Thread.ofPlatform().start(() -> scheduler.execute(() -> {
                blockerRunning.countDown();
                awaitQuietly(release);
            }));
            assertTrue(blockerRunning.await(10, TimeUnit.SECONDS));
            int queued = 50;
            List<String> ranOn = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch allRan = new CountDownLatch(queued);
            for (int i = 0; i < queued; i++) {
                scheduler.execute(() -> {
                    ranOn.add(Thread.currentThread().getName());
                    allRan.countDown();
                });
            }
            assertEquals(0, ranOn.size(), "nothing runs beside the running task");
            release.countDown();
            assertTrue(allRan.await(10, TimeUnit.SECONDS));
            blocker.join();
            assertEquals(Collections.nCopies(queued, "rest-limiter"), ranOn);
        }
    }

    @Test
    void aFailingTaskDoesNotStopTheOnesBehindIt() {
        try (ActorScheduler scheduler = new ActorScheduler()) {
            AtomicInteger ran = new AtomicInteger();
            scheduler.execute(() -> {
                throw new IllegalStateException("a bug in one task");
            });
            scheduler.execute(ran::incrementAndGet);
            assertEquals(1, ran.get());
        }
    }

    @Test
    void timersFireAfterTheirDelayAndCanBeCancelled() throws Exception {
        try (ActorScheduler scheduler = new ActorScheduler()) {
            CountDownLatch fired = new CountDownLatch(1);
            AtomicInteger cancelledRan = new AtomicInteger();
            long start = System.nanoTime();
            scheduler.schedule(fired::countDown, TimeUnit.MILLISECONDS.toNanos(50));
            scheduler.schedule(cancelledRan::incrementAndGet, TimeUnit.MILLISECONDS.toNanos(20)).cancel();
            assertTrue(fired.await(10, TimeUnit.SECONDS));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(50), "fired early");
            assertEquals(0, cancelledRan.get());
        }
    }

    @Test
    void aClosedSchedulerRejectsTasks() {
        ActorScheduler scheduler = new ActorScheduler();
        scheduler.close();
        assertThrows(RejectedExecutionException.class, () -> scheduler.execute(() -> { }));
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
