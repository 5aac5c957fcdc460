package dev.shardgate.proxy.gateway;

import dev.shardgate.proxy.discovery.GatewayBot.SessionStartLimit;
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
 * The process's one identify queue. Shards {@link #request} a slot once their connection has said Hello; the
 * queue calls back when {@link IdentifyPlanner} grants it. Identifies of a bucket are spaced by Discord's 5 s plus
 * {@link #SAFETY_MARGIN}, because the shard sends its Identify a moment after the grant.
 *
 * <p>Threads: owns one platform thread, {@code shardgate-identify-queue}; every planner call runs on it. Grant
 * callbacks run on it too and must only hand work to the shard's own thread.
 */
public final class IdentifyQueue implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(IdentifyQueue.class.getName());
    static final Duration SAFETY_MARGIN = Duration.ofMillis(250);
    private static final Duration BUDGET_WINDOW = Duration.ofHours(24);

    private final Clock clock;
    private final IdentifyPlanner planner;
    private final ScheduledExecutorService thread;
    private final Map<Integer, IntConsumer> callbacks = new HashMap<>();
    private volatile int remaining;
    private ScheduledFuture<?> wakeup;
    private boolean budgetWarned;

    public IdentifyQueue(SessionStartLimit limit, Clock clock) {
        this.clock = clock;
        this.planner = new IdentifyPlanner(limit, clock.instant(),
                dev.shardgate.protocol.GatewayLimits.IDENTIFY_WINDOW.plus(SAFETY_MARGIN), BUDGET_WINDOW);
        this.remaining = limit.remaining();
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

    /** The session-start budget left, as this process counts it. */
    public int remaining() {
        return remaining;
    }

    private void drain() {
        Instant now = clock.instant();
        for (int shardId : planner.due(now)) {
            IntConsumer callback = callbacks.remove(shardId);
            if (callback != null) {
                callback.accept(shardId);
            }
        }
        remaining = planner.remaining();
        if (planner.blockedOnBudget(now)) {
            if (!budgetWarned) {
                budgetWarned = true;
                LOG.log(System.Logger.Level.ERROR, "session-start budget spent: {0} shard(s) wait {1} s for "
                        + "reset_after instead of identifying (identifying now would get the token reset)",
                        planner.waiting(), Duration.between(now, planner.budgetResetAt()).toSeconds());
            }
        } else {
            budgetWarned = false;
        }
        if (wakeup != null) {
            wakeup.cancel(false);
            wakeup = null;
        }
        planner.nextWakeup(now).ifPresent(at -> wakeup = thread.schedule(this::drain,
                Math.max(1, Duration.between(now, at).toMillis()), TimeUnit.MILLISECONDS));
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
