package dev.shardgate.proxy.rest.limit;

/**
 * The limiter's one thread and its clock. Every task runs on the owner thread, one at a time, so limiter state
 * needs no locks; tests substitute a virtual scheduler whose time moves only when told.
 */
public interface Scheduler {
    /** Monotonic time in nanoseconds. */
    long nanoTime();

    /** Runs the task on the owner thread as soon as possible. */
    void execute(Runnable task);

    /** Runs the task on the owner thread after the delay; the handle cancels it. */
    Cancellable schedule(Runnable task, long delayNanos);

    /** A scheduled task that can be called off. */
    interface Cancellable {
        void cancel();
    }
}
