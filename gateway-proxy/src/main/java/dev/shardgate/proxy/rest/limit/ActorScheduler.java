package dev.shardgate.proxy.rest.limit;

import dev.shardgate.proxy.concurrent.SerialExecutor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The real {@link Scheduler}: limiter tasks run one at a time, in the order they were submitted, on a
 * {@link SerialExecutor}. A task submitted while the limiter is idle runs on the submitting thread before
 * {@link #execute} returns, so a permit that needs no wait is granted, and an answer recorded, without handing the
 * request to another thread and back (two wake-ups: most of the latency the limiter used to add). Work queued while
 * another task runs is drained by the one platform thread, {@code rest-limiter}, which also fires the timers (a delay
 * queue, no polling). A task that throws is logged and the next one runs. {@link #close()} stops that thread;
 * tasks submitted after it are rejected.
 */
public final class ActorScheduler implements Scheduler, AutoCloseable {
    private final ScheduledThreadPoolExecutor thread;
    private final SerialExecutor tasks;

    public ActorScheduler() {
        thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "rest-limiter");
            t.setDaemon(true);
            return t;
        });
        thread.setRemoveOnCancelPolicy(true);
        tasks = new SerialExecutor("the REST limiter", thread);
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public void execute(Runnable task) {
        if (thread.isShutdown()) {
            throw new RejectedExecutionException("the REST limiter is closed");
        }
        tasks.runOrExecute(task);
    }

    @Override
    public Cancellable schedule(Runnable task, long delayNanos) {
        var future = thread.schedule(() -> tasks.runOrExecute(task), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
