package dev.shardgate.proxy.gateway;

import dev.shardgate.protocol.GatewayLimits;
import dev.shardgate.proxy.discovery.GatewayBot.SessionStartLimit;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

/**
 * The process's one identify queue. Shards {@link #request} a slot once their connection has said Hello; the
 * queue calls back when {@link IdentifyPlanner} grants it. Identifies of a bucket are spaced by Discord's 5 s plus
 * {@link #SAFETY_MARGIN}, because the shard sends its Identify a moment after the grant.
 *
 * <p>The budget is re-read from {@code /gateway/bot} ({@link BudgetSource}) before identifying whenever the last
 * reading is older than {@link #BUDGET_MAX_AGE}, so a mass re-identify after hours of running starts from
 * Discord's count (which includes other processes of the bot), not from this process's guess. Each grant is
 * reported to an {@link IdentifyListener}, so the next process of these shards can keep the bucket windows.
 *
 * <p>Threads: owns one platform thread, {@code shardgate-identify-queue}; every planner call runs on it. Grant
 * callbacks run on it too and must only hand work to the shard's own thread. A budget refresh runs on a virtual
 * thread of its own and hands its answer back to the queue's thread; no grant is made while it runs.
 */
public final class IdentifyQueue implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(IdentifyQueue.class.getName());
    static final Duration SAFETY_MARGIN = Duration.ofMillis(250);
    static final Duration BUDGET_MAX_AGE = Duration.ofMinutes(1);
    private static final Duration BUDGET_WINDOW = Duration.ofHours(24);

    /** Reads {@code session_start_limit} from Discord; called on a virtual thread, may block. */
    public interface BudgetSource {
        SessionStartLimit fetch() throws Exception;
    }

    /** Hears of every identify granted; called on the queue's thread, must not block. */
    public interface IdentifyListener {
        void identified(int bucket, Instant at);
    }

    private final Clock clock;
    private final IdentifyPlanner planner;
    private final BudgetSource budgetSource;
    private final IdentifyListener listener;
    private final ScheduledExecutorService thread;
    private final Map<Integer, IntConsumer> callbacks = new HashMap<>();
    private volatile int remaining;
    private ScheduledFuture<?> wakeup;
    private boolean budgetWarned;
    private boolean refreshing;

    public IdentifyQueue(SessionStartLimit limit, Clock clock, BudgetSource budgetSource, IdentifyListener listener) {
        this.clock = clock;
        this.planner = new IdentifyPlanner(limit, clock.instant(), GatewayLimits.IDENTIFY_WINDOW.plus(SAFETY_MARGIN),
                BUDGET_WINDOW);
        this.budgetSource = budgetSource;
        this.listener = listener;
        this.remaining = limit.remaining();
        this.thread = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("shardgate-identify-queue").daemon().factory());
    }

    /** Takes a shard's place in line before it connects, so that shards identify in id order. */
    public void reserve(int shardId) {
        thread.execute(() -> planner.enqueue(shardId));
    }

    /**
     * Checks the budget against the shards now in line (call after {@link #reserve}ing them at start): when it
     * cannot start them all, none identifies before {@code reset_after}.
     */
    public void admit(SessionStartLimit limit) {
        thread.execute(() -> applyBudget(limit, clock.instant()));
    }

    /** Identifies of earlier processes, by bucket: their windows still hold. */
    public void identifiedElsewhere(Map<Integer, Instant> lastIdentifyByBucket) {
        thread.execute(() -> lastIdentifyByBucket.forEach(planner::identifiedElsewhere));
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

    private void applyBudget(SessionStartLimit limit, Instant now) {
        int inLine = planner.inLine();
        if (planner.budget(limit, now) && !budgetWarned) {
            LOG.log(System.Logger.Level.ERROR, "session-start budget has {0} identifies left for {1} shard(s) that "
                    + "need one: none identifies until reset_after in {2} s (spending the last ones would leave no "
                    + "reserve, and one identify too many resets the token)", limit.remaining(), inLine,
                    limit.resetAfter().toSeconds());
            budgetWarned = true;
        }
        remaining = planner.remaining();
    }

    private void drain() {
        if (refreshing) {
            return;
        }
        Instant now = clock.instant();
        if (planner.budgetStale(now, BUDGET_MAX_AGE)) {
            refreshBudget();
            return;
        }
        for (int shardId : planner.due(now)) {
            listener.identified(planner.bucketOf(shardId), now);
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

    private void refreshBudget() {
        refreshing = true;
        Thread.ofVirtual().name("shardgate-identify-budget").start(() -> {
            try {
                SessionStartLimit fresh = budgetSource.fetch();
                onQueue(() -> {
                    refreshing = false;
                    LOG.log(System.Logger.Level.INFO, "session-start budget re-read before identifying: {0} of {1} "
                            + "left, reset in {2} s", fresh.remaining(), fresh.total(), fresh.resetAfter().toSeconds());
                    applyBudget(fresh, clock.instant());
                    drain();
                });
            } catch (Exception e) {
                onQueue(() -> {
                    refreshing = false;
                    LOG.log(System.Logger.Level.WARNING, "cannot re-read the session-start budget ({0}); "
                            + "counting locally: {1} left", e.toString(), planner.remaining());
                    planner.budgetUnchanged(clock.instant());
                    drain();
                });
            }
        });
    }

    private void onQueue(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException closed) {
            // The queue closed while the budget was being read: nobody waits for the answer any more.
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
