package dev.shardgate.worker.consume;

import java.time.Duration;

/**
 * Holds back a replica's pulls while handlers meet transient failures: taking more events while the REST proxy or
 * NATS is away would only fill the in-flight slots with events that fail the same way. A transient failure pauses
 * pulling for its retry delay (the longest asked wins); a handler that succeeds resumes it at once. On the monotonic
 * clock. Thread-safe: handler threads pause and resume, pull loops wait.
 */
public final class PullPause {
    private long until = System.nanoTime();

    /** Holds pulls back for at least {@code delay}. */
    public synchronized void pauseFor(Duration delay) {
        long candidate = System.nanoTime() + delay.toNanos();
        if (candidate - until > 0) {
            until = candidate;
        }
    }

    /** Lets pulls go on now. */
    public synchronized void resume() {
        until = System.nanoTime();
        notifyAll();
    }

    public synchronized boolean paused() {
        return until - System.nanoTime() > 0;
    }

    /** Waits while paused, at most {@code atMost} (so a caller can notice it was asked to stop). */
    public synchronized void await(Duration atMost) throws InterruptedException {
        long end = System.nanoTime() + atMost.toNanos();
        long left;
        while ((left = Math.min(until, end) - System.nanoTime()) > 0) {
            wait(Math.max(1, left / 1_000_000));
        }
    }
}
