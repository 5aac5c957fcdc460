package dev.shardgate.proxy.rest.limit;

import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/** A {@link Scheduler} on virtual time: tasks run on the calling thread, timers only when time is advanced. */
final class VirtualScheduler implements Scheduler {
    private record Timed(long at, long seq, Runnable task, AtomicBoolean cancelled) { }

    private final PriorityQueue<Timed> timers = new PriorityQueue<>(
            (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
    private long now = 1_000_000_000_000L;
    private long seq;
    private final java.util.ArrayDeque<Runnable> pending = new java.util.ArrayDeque<>();
    private boolean running;

    @Override
    public long nanoTime() {
        return now;
    }

    /** Like the real actor, a task posted while another runs waits for it to finish (no re-entrance). */
    @Override
    public void execute(Runnable task) {
        pending.addLast(task);
        if (running) {
            return;
        }
        running = true;
        try {
            while (!pending.isEmpty()) {
                pending.pollFirst().run();
            }
        } finally {
            running = false;
        }
    }

    @Override
    public Cancellable schedule(Runnable task, long delayNanos) {
        AtomicBoolean cancelled = new AtomicBoolean();
        timers.add(new Timed(now + Math.max(0, delayNanos), seq++, task, cancelled));
        return () -> cancelled.set(true);
    }

    /** Moves time forward, running every timer that falls due on the way, in order. */
    void advanceMillis(long millis) {
        long end = now + millis * 1_000_000L;
        while (!timers.isEmpty() && timers.peek().at <= end) {
            Timed t = timers.poll();
            now = Math.max(now, t.at);
            if (!t.cancelled.get()) {
                execute(t.task);
            }
        }
        now = end;
    }

    /** Timers that are armed and not cancelled, for tests that check nothing polls. */
    long armedTimers() {
        return timers.stream().filter(t -> !t.cancelled.get()).count();
    }
}
