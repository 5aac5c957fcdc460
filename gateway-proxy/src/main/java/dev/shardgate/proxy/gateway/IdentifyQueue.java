package dev.shardgate.proxy.gateway;

import dev.shardgate.protocol.GatewayLimits;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * The process's identify queue. Shards {@link #request} a slot once their connection has said Hello; when a
 * shard's turn comes in its bucket ({@link IdentifyPlanner}), the queue asks the fleet-wide
 * {@link IdentifyCoordinator} for the bucket's window and a session start, and calls the shard back on a grant.
 * A refusal only delays that bucket: a busy bucket is asked again shortly, a budget at its reserve or an unreachable
 * coordinator later, so the shards that can identify do while the others wait.
 *
 * <p>Threads: owns one platform thread, {@code shardgate-identify-queue}; every planner and coordinator call runs
 * on it. Grant callbacks run on it too and must only hand work to the shard's own thread.
 */
public final class IdentifyQueue implements AutoCloseable {
    static final Duration SAFETY_MARGIN = Duration.ofMillis(250);
    static final Duration BUSY_RETRY = Duration.ofMillis(100);
    static final Duration BUDGET_RETRY = Duration.ofSeconds(10);
    static final Duration UNAVAILABLE_RETRY = Duration.ofSeconds(1);

    private final Clock clock;
    private final IdentifyPlanner planner;
    private final IdentifyCoordinator coordinator;
    private final ScheduledExecutorService thread;
    private final Map<Integer, IntConsumer> callbacks = new HashMap<>();
    private ScheduledFuture<?> wakeup;

    public IdentifyQueue(int maxConcurrency, IdentifyCoordinator coordinator, Clock clock) {
        this.clock = clock;
        this.planner = new IdentifyPlanner(maxConcurrency, GatewayLimits.IDENTIFY_WINDOW.plus(SAFETY_MARGIN));
        this.coordinator = coordinator;
        this.thread = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("shardgate-identify-queue").daemon().factory());
    }

    /** Takes a shard's place in line before it connects, so that shards identify in id order. */
    public void reserve(int shardId) {
        thread.execute(() -> planner.enqueue(shardId));
    }

    /** Asks for an identify slot now; {@code onGrant} receives the shard id when it may identify. */
    public void request(int shardId, IntConsumer onGrant) {
        thread.execute(() -> {
            callbacks.put(shardId, onGrant);
            planner.markReady(shardId);
            drain();
        });
    }

    /** Withdraws a place or request (the connection closed while waiting). */
    public void cancel(int shardId) {
        thread.execute(() -> {
            callbacks.remove(shardId);
            planner.cancel(shardId);
            drain();
        });
    }

    /** The bot's session-start budget as last seen. */
    public int remaining() {
        return coordinator.remaining();
    }

    private void drain() {
        for (int shardId : planner.candidates(clock.instant())) {
            int bucket = planner.bucketOf(shardId);
            IdentifyCoordinator.Claim claim = coordinator.claim(bucket);
            Instant now = clock.instant();
            switch (claim) {
                case GRANTED -> {
                    planner.granted(shardId, now);
                    IntConsumer callback = callbacks.remove(shardId);
                    if (callback != null) {
                        callback.accept(shardId);
                    }
                }
                case BUCKET_BUSY -> planner.retryAt(bucket, now.plus(BUSY_RETRY));
                case BUDGET_LOW -> planner.retryAt(bucket, now.plus(BUDGET_RETRY));
                case UNAVAILABLE -> planner.retryAt(bucket, now.plus(UNAVAILABLE_RETRY));
            }
        }
        if (wakeup != null) {
            wakeup.cancel(false);
            wakeup = null;
        }
        Instant now = clock.instant();
        planner.nextWakeup(now).ifPresent(at -> wakeup = thread.schedule(this::drain,
                Math.max(1, Duration.between(now, at).toMillis()), TimeUnit.MILLISECONDS));
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
