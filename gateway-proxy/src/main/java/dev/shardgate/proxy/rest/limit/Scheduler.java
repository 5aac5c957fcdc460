package dev.shardgate.proxy.rest.limit;

/**
 * How the limiter's tasks run, and its clock. Tasks run one at a time, in the order submitted, each seeing what the
 * ones before it wrote, so limiter state needs no locks; "the limiter thread" in the limiter's comments is whichever
 * thread is running its tasks. Tests substitute a virtual scheduler whose time moves only when told.
 */
public interface Scheduler {
    /** Monotonic time in nanoseconds. */
    long nanoTime();

    /** Runs the task after those already submitted, as soon as possible; possibly on the caller's thread. */
    void execute(Runnable task);

    /** Runs the task after the delay; the handle cancels it. */
    Cancellable schedule(Runnable task, long delayNanos);

    /** A scheduled task that can be called off. */
    interface Cancellable {
        void cancel();
    }
}
