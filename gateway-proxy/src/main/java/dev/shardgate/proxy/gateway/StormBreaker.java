package dev.shardgate.proxy.gateway;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Slows a shard that keeps starting new sessions. Every identify spends the daily session-start budget, and a shard
 * sent back to identify again and again (a bug, a misread close code, a broken network path) would drain it. After
 * {@code maxIdentifies} identifies <em>sent</em> within {@code window}, the shard cools down until the oldest of them
 * leaves the window, then tries again: a storm is throttled to {@code maxIdentifies} per window per shard, and the
 * fleet-wide reserve ({@code IDENTIFY_RESERVE}) keeps the token safe whatever the storm.
 *
 * <p>Not thread-safe: owned by the shard's thread.
 */
public final class StormBreaker {
    private final int maxIdentifies;
    private final Duration window;
    private final Deque<Instant> identifies = new ArrayDeque<>();

    public StormBreaker(int maxIdentifies, Duration window) {
        this.maxIdentifies = maxIdentifies;
        this.window = window;
    }

    /** When the shard may identify again, or empty if it may now. */
    public Optional<Instant> coolDownUntil(Instant now) {
        while (!identifies.isEmpty() && !identifies.peekFirst().isAfter(now.minus(window))) {
            identifies.removeFirst();
        }
        return identifies.size() >= maxIdentifies ? Optional.of(identifies.peekFirst().plus(window)) : Optional.empty();
    }

    /** An identify was sent at {@code now}. */
    public void identified(Instant now) {
        identifies.addLast(now);
    }

    /** Why a shard cools down, for its state reason and log line. */
    public String reason(Instant until) {
        return "storm breaker: " + identifies.size() + " identifies within " + window.toSeconds() + " s without a "
                + "lasting session; cooling down until " + until + " to protect the session-start budget";
    }
}
