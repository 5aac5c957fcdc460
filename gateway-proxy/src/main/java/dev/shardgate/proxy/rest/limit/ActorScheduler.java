package dev.shardgate.proxy.rest.limit;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The real {@link Scheduler}: limiter tasks run one at a time, in the order they were submitted, on whichever thread
 * finds the limiter idle. Usually that is the submitting request's own thread, so a permit that needs no wait is
 * granted, and an answer recorded, without handing the request to another thread and back (two wake-ups, most of
 * the latency the limiter added). A caller runs at most {@link #INLINE_BUDGET} tasks, its own and those queued
 * meanwhile, then hands the rest to the {@code rest-limiter} platform thread, which also fires the timers (a delay
 * queue, no polling). The limiter's state is thus only ever touched by one thread at a time, each task seeing what
 * the previous one wrote (the queue and the {@link #running} flag order them). {@link #close()} stops the thread;
 * tasks submitted after it are rejected.
 */
public final class ActorScheduler implements Scheduler, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ActorScheduler.class.getName());
    /** Tasks a submitting thread runs before it hands the rest over: a request is not held up by a long queue. */
    static final int INLINE_BUDGET = 16;

    private final ScheduledThreadPoolExecutor executor;
    private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Set while a thread is running tasks: the only way into the limiter's state. */
    private final AtomicBoolean running = new AtomicBoolean();

    public ActorScheduler() {
        executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "rest-limiter");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public void execute(Runnable task) {
        if (executor.isShutdown()) {
            throw new RejectedExecutionException("the limiter is closed");
        }
        tasks.add(task);
        runQueued(INLINE_BUDGET);
    }

    @Override
    public Cancellable schedule(Runnable task, long delayNanos) {
        var future = executor.schedule(() -> execute(task), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }

    /**
     * Runs queued tasks if no other thread is, up to {@code budget}, then hands what is left to the limiter thread. A
     * task submitted by a thread that found another one running is run by that one: after letting go of the flag it
     * looks at the queue again. A task that submits a task (from inside the limiter) only queues it.
     */
    private void runQueued(int budget) {
        while (!tasks.isEmpty() && running.compareAndSet(false, true)) {
            int ran = 0;
            try {
                Runnable next;
                while (ran < budget && (next = tasks.poll()) != null) {
                    ran++;
                    runGuarded(next);
                }
            } finally {
                running.set(false);
            }
            if (ran == budget && !tasks.isEmpty()) {
                try {
                    executor.execute(() -> runQueued(Integer.MAX_VALUE));
                } catch (RejectedExecutionException closed) {
                    // closing: what is left is dropped, as the executor's own queue is
                }
                return;
            }
        }
    }

    /** A failing task must not stop the tasks behind it. */
    private static void runGuarded(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "limiter task failed", e);
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
