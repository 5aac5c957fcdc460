package dev.shardgate.proxy.concurrent;

import java.time.Duration;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs an owner's work one task at a time, in the order it was submitted, with no thread of its own at rest: a
 * shard's state machine, the REST limiter.
 *
 * <p>Why not a single-thread executor: at a few thousand events (or requests) per second, the cost of each was mostly
 * thread hand-offs (a park and an unpark each, under contention for two cores). {@link #runOrExecute} lets the
 * calling thread (the gateway's selector thread, a request's thread) run the task itself when the owner has nothing else
 * queued or running, which is almost always; work that may wait goes through {@link #execute}.
 *
 * <p>Threads: none of its own. When work is queued and nobody runs it, a drainer is started on the drainers'
 * executor (by default a virtual thread named after the owner); it runs queued tasks until the queue is empty and
 * ends. {@link #runOrExecute} may run its task on the calling thread. Either way one task runs at a time, and each
 * task sees everything the previous one did (the {@code running} flag is set and cleared around every run, which
 * orders them).
 */
public final class SerialExecutor implements Executor {
    private static final System.Logger LOG = System.getLogger(SerialExecutor.class.getName());

    private final String name;
    private final Executor drainers;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** True while some thread runs this executor's tasks: a drainer, or a caller of {@link #runOrExecute}. */
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile boolean shutdown;

    /** @param name names the virtual threads that drain the queue, e.g. {@code shard-7} */
    public SerialExecutor(String name) {
        this(name, drain -> Thread.ofVirtual().name(name).start(drain));
    }

    /**
     * @param name the owner, in messages
     * @param drainers runs a drainer when queued work has nobody running it (e.g. the owner's one platform thread)
     */
    public SerialExecutor(String name, Executor drainers) {
        this.name = name;
        this.drainers = drainers;
    }

    /**
     * Queues {@code task} behind everything submitted before it.
     *
     * @throws RejectedExecutionException after {@link #shutdown}
     */
    @Override
    public void execute(Runnable task) {
        if (shutdown) {
            throw new RejectedExecutionException(name + " is shut down");
        }
        enqueue(task);
    }

    /**
     * Runs {@code task} on the calling thread when nothing is queued or running, else queues it. Call it only with
     * work that never waits for another task of this executor, since it may run before the caller returns.
     *
     * @throws RejectedExecutionException after {@link #shutdown}
     */
    public void runOrExecute(Runnable task) {
        if (shutdown) {
            throw new RejectedExecutionException(name + " is shut down");
        }
        if (!tasks.isEmpty() || !running.compareAndSet(false, true)) {
            enqueue(task);
            return;
        }
        try {
            runSafely(task);
        } finally {
            running.set(false);
            // Work queued while the task ran (it found the executor busy) is drained by a thread of its own, so the
            // caller (the gateway's selector thread, a request) goes on with its own work.
            if (!tasks.isEmpty() && running.compareAndSet(false, true)) {
                startDrainer();
            }
        }
    }

    /**
     * Refuses new work, then waits up to {@code timeout} until the work already submitted has run.
     *
     * @return whether it all ran in time
     */
    public boolean shutdown(Duration timeout) throws InterruptedException {
        shutdown = true;
        CountDownLatch done = new CountDownLatch(1);
        enqueue(done::countDown);
        return done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void enqueue(Runnable task) {
        tasks.add(task);
        if (running.compareAndSet(false, true)) {
            startDrainer();
        }
    }

    private void startDrainer() {
        drainers.execute(this::drain);
    }

    /** Runs queued tasks until none is left; the flag is dropped only after a last look at the queue. */
    private void drain() {
        do {
            Runnable task;
            while ((task = tasks.poll()) != null) {
                runSafely(task);
            }
            running.set(false);
        } while (!tasks.isEmpty() && running.compareAndSet(false, true));
    }

    /** A task that throws is a bug; the shard's later work must still run. */
    private void runSafely(Runnable task) {
        try {
            task.run();
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, name + ": a task failed; going on with the next", t);
        }
    }
}
