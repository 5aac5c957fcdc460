package dev.shardgate.proxy.concurrent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SerialExecutorTest {

    @Test
    void runsOnTheCallerWhenIdleAndQueuesBehindPendingWork() throws Exception {
        SerialExecutor exec = new SerialExecutor("shard-test");
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        exec.runOrExecute(() -> ranOn.set(Thread.currentThread()));
        assertSame(Thread.currentThread(), ranOn.get(), "idle: the caller runs the task itself");

        CountDownLatch release = new CountDownLatch(1);
        List<String> order = new ArrayList<>(); // confined to the executor: one task at a time
        exec.execute(() -> {
            await(release);
            order.add("first");
        });
        exec.runOrExecute(() -> {
            ranOn.set(Thread.currentThread());
            order.add("second");
        });
        release.countDown();
        assertTrue(exec.shutdown(Duration.ofSeconds(5)));
        assertEquals(List.of("first", "second"), order);
        assertTrue(ranOn.get() != Thread.currentThread(), "busy: the task waits its turn on the executor's thread");
    }

    @Test
    void keepsEachSubmittersOrderAndRunsOneTaskAtATimeUnderContention() throws Exception {
        SerialExecutor exec = new SerialExecutor("shard-test");
        int submitters = 4;
        int perSubmitter = 20_000;
        int[] last = new int[submitters];
        java.util.Arrays.fill(last, -1);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger outOfOrder = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int s = 0; s < submitters; s++) {
            int submitter = s;
            threads.add(Thread.ofPlatform().start(() -> {
                await(start);
                for (int i = 0; i < perSubmitter; i++) {
                    int n = i;
                    Runnable task = () -> {
                        if (running.incrementAndGet() != 1) {
                            overlaps.incrementAndGet();
                        }
                        if (last[submitter] != n - 1) {
                            outOfOrder.incrementAndGet();
                        }
                        last[submitter] = n;
                        running.decrementAndGet();
                    };
                    if (n % 2 == 0) {
                        exec.runOrExecute(task);
                    } else {
                        exec.execute(task);
                    }
                }
            }));
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertTrue(exec.shutdown(Duration.ofSeconds(10)));
        assertEquals(0, overlaps.get(), "two tasks ran at once");
        assertEquals(0, outOfOrder.get(), "a submitter's tasks ran out of order");
        for (int s = 0; s < submitters; s++) {
            assertEquals(perSubmitter - 1, last[s], "every task ran");
        }
    }

    @Test
    void aFailingTaskDoesNotStopTheNextAndShutdownRefusesNewWork() throws Exception {
        SerialExecutor exec = new SerialExecutor("shard-test");
        CountDownLatch ran = new CountDownLatch(2);
        exec.execute(() -> {
            ran.countDown();
            throw new IllegalStateException("a bug in a task");
        });
        exec.runOrExecute(() -> {
            throw new IllegalStateException("a bug in an inline task");
        });
        exec.execute(ran::countDown);
        assertTrue(ran.await(5, TimeUnit.SECONDS));
        assertTrue(exec.shutdown(Duration.ofSeconds(5)));
        assertThrows(RejectedExecutionException.class, () -> exec.execute(() -> { }));
        assertThrows(RejectedExecutionException.class, () -> exec.runOrExecute(() -> { }));
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
