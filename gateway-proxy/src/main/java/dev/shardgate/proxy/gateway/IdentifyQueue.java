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
 * <p><b>Pacing.</b> Discord counts Identify payloads as they <i>arrive</i>: one per bucket per 5 s. Two identifies
 * of one bucket leave here at least {@link #WINDOW} apart: the window begins with the fleet claim stored on the
 * NATS server, and begins again when the identify has actually been handed to its socket ({@link #sent}: the claim
 * is written anew, so its TTL restarts), so a send delayed after its grant (a busy machine: the benchmarks saw
 * refusals from a 50 ms margin counted from the grant alone) does not shorten the gap. The 50 ms
 * {@link #SAFETY_MARGIN} absorbs arrival jitter: the first payload taking up to ~50 ms longer to reach Discord
 * than the second. A TCP retransmission of an Identify (200 ms
 * or more) is not covered; Discord would answer op 9 and the shard would identify again (one session start). For
 * comparison, twilight's queue spaces buckets exactly 5 s by its own timer and discord.js waits 5 s plus a random
 * 0–1.5 s; the claim here also survives several processes and clocks, which neither does.
 * Measured on nats-server 2.9.10 (a 5.05 s bucket TTL): a claim is acknowledged in 0.1–2 ms and the server expires
 * it 0.2–4 ms after its TTL, so after its own grant a bucket is asked again {@link #EXPIRY_LAG} after the window
 * ({@link #SPACING}) and a round costs about 5.055 s. Only when another process holds the bucket is the moment
 * unknown here (no clocks are compared): then the bucket is asked every {@link #BUSY_RETRY}.
 *
 * <p>Threads: owns one platform thread, {@code shardgate-identify-queue}; every planner and coordinator call runs
 * on it. Grant callbacks run on it too and must only hand work to the shard's own thread. {@link #plan()} may be
 * read from any thread.
 */
public final class IdentifyQueue implements AutoCloseable {
    static final Duration SAFETY_MARGIN = Duration.ofMillis(50);
    /** The fleet-wide claim's life: no bucket's window may begin again sooner, whichever process asks. */
    public static final Duration WINDOW = GatewayLimits.IDENTIFY_WINDOW.plus(SAFETY_MARGIN);
    /** How late the NATS server may expire a claim (measured up to 4 ms), so the first retry usually succeeds. */
    static final Duration EXPIRY_LAG = Duration.ofMillis(5);
    /** After this process's own grant, when the bucket is asked again. */
    static final Duration SPACING = WINDOW.plus(EXPIRY_LAG);
    static final Duration BUSY_RETRY = Duration.ofMillis(50);
    static final Duration BUDGET_RETRY = Duration.ofSeconds(10);
    static final Duration UNAVAILABLE_RETRY = Duration.ofSeconds(1);

    private final Clock clock;
    private final IdentifyPlanner planner;
    private final IdentifyCoordinator coordinator;
    private final ScheduledExecutorService thread;
    private final Map<Integer, IntConsumer> callbacks = new HashMap<>();
    private ScheduledFuture<?> wakeup;
    private volatile IdentifyPlan plan;

    public IdentifyQueue(int maxConcurrency, IdentifyCoordinator coordinator, Clock clock) {
        this.clock = clock;
        this.planner = new IdentifyPlanner(maxConcurrency, SPACING);
        this.plan = IdentifyPlan.empty(clock.instant(), SPACING);
        this.coordinator = coordinator;
        this.thread = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("shardgate-identify-queue").daemon().factory());
    }

    /** Takes a shard's place in line before it connects, so that shards identify in id order. */
    public void reserve(int shardId) {
        thread.execute(() -> {
            planner.enqueue(shardId);
            plan = planner.plan(clock.instant());
        });
    }

    /** Asks for an identify slot now; {@code onGrant} receives the shard id when it may identify. */
    public void request(int shardId, IntConsumer onGrant) {
        thread.execute(() -> {
            callbacks.put(shardId, onGrant);
            planner.markReady(shardId);
            drain();
        });
    }

    /**
     * The shard's granted identify has just been handed to its socket: its bucket's window restarts now, in the
     * fleet and here (see {@link IdentifyCoordinator#sent}).
     */
    public void sent(int shardId) {
        thread.execute(() -> {
            int bucket = planner.bucketOf(shardId);
            coordinator.sent(bucket);
            planner.retryAt(bucket, clock.instant().plus(SPACING));
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

    /** This process's line as it stood after the queue's last step. */
    public IdentifyPlan plan() {
        return plan;
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
        plan = planner.plan(now);
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
