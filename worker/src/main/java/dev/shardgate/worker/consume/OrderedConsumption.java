package dev.shardgate.worker.consume;

import dev.shardgate.protocol.Subjects;
import dev.shardgate.worker.Event;
import dev.shardgate.worker.WorkerMetrics;
import dev.shardgate.worker.route.Membership;
import dev.shardgate.worker.route.SeqPosition;
import dev.shardgate.worker.route.ShardAssignment;
import dev.shardgate.worker.route.ShardClaims;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ordered mode: one durable consumer per shard ({@code {consumer}-shard-{n}} filtered on
 * {@code {prefix}.events.{n}.>}) with at most one unacknowledged event, pulled by a SEQUENTIAL loop, so a shard's
 * events (hence a guild's) are handled one after another. Shards are split over the live replicas by rendezvous
 * hashing ({@link Membership}, {@link ShardAssignment}) and rebalanced every heartbeat as replicas come and go.
 *
 * <p>Two replicas never run events of one shard at once. A replica runs a shard only while it holds the shard's
 * claim ({@link ShardClaims}), which it takes only from nobody, or from a token that is no longer a live member,
 * and gives back only after its loop ended, its last event settled. It runs, acks and extends an event only while
 * its membership lease holds ({@link Membership#holds()}, on its monotonic clock), which ends before the server can
 * expire its entry and let another replica take the claim; a replica frozen past that point finds, once thawed,
 * that it holds nothing: its loops are aborted (a handler still running is interrupted), nothing it held is acked,
 * and it rejoins under a new token. A loop that dies is started again; {@code seq} going backwards within a
 * session is logged and counted.
 *
 * <p>Owns one scheduler thread that heartbeats, rebalances and is the only one to change {@link #running} and
 * {@link #releasing} (the drain thread does, once that thread has ended).
 */
public final class OrderedConsumption implements Consumption {
    private static final Logger LOG = LoggerFactory.getLogger(OrderedConsumption.class);

    private final Consumers consumers;
    private final String consumer;
    private final Subjects subjects;
    private final int shardCount;
    private final Membership membership;
    private final ShardClaims claims;
    private final EventProcessor processor;
    private final InFlight inFlight;
    private final ExecutorService handlers;
    private final WorkerMetrics metrics;
    private final ScheduledExecutorService rebalancer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("ordered-rebalance").daemon().factory());
    private final Map<Integer, ShardRun> running = new ConcurrentHashMap<>();
    /** Shards given up whose loop has not ended yet; their claims are released once it has. */
    private final Map<Integer, ShardRun> releasing = new ConcurrentHashMap<>();

    public OrderedConsumption(Consumers consumers, String consumer, Subjects subjects, int shardCount,
            Membership membership, ShardClaims claims, EventProcessor processor, InFlight inFlight,
            ExecutorService handlers, WorkerMetrics metrics) {
        this.consumers = consumers;
        this.consumer = consumer;
        this.subjects = subjects;
        this.shardCount = shardCount;
        this.membership = membership;
        this.claims = claims;
        this.processor = processor;
        this.inFlight = inFlight;
        this.handlers = handlers;
        this.metrics = metrics;
        metrics.releasingShards(releasing::size);
    }

    /** One shard run here under its claim: the guard of its loop's deliveries. */
    private final class ShardRun implements ShardGuard {
        private final int shard;
        private final ShardClaims.Held claim;
        private volatile boolean lost;
        private SeqPosition last;
        private PullLoop loop;

        ShardRun(int shard, ShardClaims.Held claim) {
            this.shard = shard;
            this.claim = claim;
            this.last = claim.found();
        }

        void startLoop() {
            String durable = consumer + "-shard-" + shard;
            loop = new PullLoop(durable, () -> consumers.open(durable, subjects.shardEvents(shard), 1),
                    processor, inFlight, PullLoop.Dispatch.SEQUENTIAL, handlers, this);
            loop.start();
        }

        @Override
        public boolean holds() {
            return !lost && membership.holds();
        }

        @Override
        public synchronized void observe(Event event, SeqPosition position) {
            if (last.wentBackTo(position)) {
                metrics.seqRegression();
                LOG.warn("shard " + shard + ": seq went backwards from " + last.seq() + " to "
                        + position.seq() + " in session " + position.session() + " (" + event + "); the stream stored "
                        + "these events out of Discord's order, and they are handled in the stream's order");
                return;
            }
            if (position.seq() >= 0) {
                last = position;
            }
        }

        synchronized SeqPosition last() {
            return last;
        }
    }

    @Override
    @SuppressWarnings("FutureReturnValueIgnored") // rebalance() never throws (it catches everything); close() ends it
    public void start() {
        LOG.info("ordered mode: replica " + membership.self() + ", " + shardCount + " shards");
        rebalancer.scheduleWithFixedDelay(this::rebalance, 0, Membership.HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Runs on the rebalance thread only; never throws, or the scheduler would stop calling it. */
    private void rebalance() {
        try {
            Set<String> members;
            try {
                membership.heartbeat();
                members = membership.members();
            } catch (Membership.LeaseLostException e) {
                loseAll(e.getMessage());
                return;
            } catch (Exception e) {
                if (!membership.holds()) {
                    loseAll("membership unreachable past the lease (" + e.getMessage() + ")");
                } else {
                    // keep the current shards: a NATS hiccup must not hand every shard back and forth
                    LOG.warn("membership unavailable (" + e.getMessage() + "); keeping "
                            + new TreeSet<>(running.keySet()));
                }
                return;
            }
            reconcile(ShardAssignment.owned(membership.token(), members, shardCount), members);
        } catch (Exception | Error e) {
            LOG.error("rebalance failed; trying again at the next heartbeat", e);
        }
    }

    private void reconcile(Set<Integer> wanted, Set<String> members) throws Exception {
        finishReleases();
        for (ShardRun run : running.values()) {
            if (run.loop.ended()) {
                LOG.error("the pull loop of shard " + run.shard + " ended on its own; starting it again");
                metrics.loopRestart();
                run.startLoop();
            }
        }
        List<Integer> gaveUp = new ArrayList<>();
        for (int shard : new TreeSet<>(running.keySet())) {
            if (!wanted.contains(shard)) {
                ShardRun run = running.remove(shard);
                run.loop.stop();
                releasing.put(shard, run);
                gaveUp.add(shard);
            }
        }
        List<Integer> took = new ArrayList<>();
        for (int shard : new TreeSet<>(wanted)) {
            if (running.containsKey(shard) || releasing.containsKey(shard)) {
                continue;
            }
            Optional<ShardClaims.Held> held = claims.take(shard, membership.token(), members);
            if (held.isPresent()) {
                ShardRun run = new ShardRun(shard, held.get());
                running.put(shard, run);
                run.startLoop();
                took.add(shard);
            }
        }
        if (!gaveUp.isEmpty() || !took.isEmpty()) {
            LOG.info("rebalanced: now " + running.size() + " shards " + new TreeSet<>(running.keySet())
                    + " of " + wanted.size() + " assigned, giving up " + gaveUp + ", took " + took);
        }
        metrics.ownedShards(running.size());
    }

    /** Releases the claims of given-up shards whose loop has ended: the next holder may start. */
    private void finishReleases() throws Exception {
        for (ShardRun run : List.copyOf(releasing.values())) {
            if (run.loop.isDone()) {
                if (!claims.release(run.shard, run.claim, run.last())) {
                    LOG.warn("the claim of shard " + run.shard + " was taken from this replica");
                }
                releasing.remove(run.shard);
            }
        }
    }

    /** The lease expired: every shard may have a new holder already, so stop everything at once. */
    private void loseAll(String why) {
        metrics.leaseLost();
        List<ShardRun> all = new ArrayList<>(running.values());
        all.addAll(releasing.values());
        LOG.error(why + "; dropping shards " + new TreeSet<>(running.keySet())
                + " without acking what was in flight, and rejoining");
        for (ShardRun run : all) {
            run.lost = true;
            run.loop.abort();
        }
        running.clear();
        releasing.clear();
        metrics.ownedShards(0);
    }

    @Override
    public void stop() {
        rebalancer.shutdown();
        try {
            if (!rebalancer.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("a rebalance is still running while stopping");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        running.values().forEach(run -> run.loop.stop());
        releasing.putAll(running);
        running.clear();
        metrics.ownedShards(0);
    }

    /** Waits for every loop to end, then releases their claims and leaves the membership. */
    @Override
    public boolean awaitDone(Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        for (ShardRun run : releasing.values()) {
            Duration left = Duration.between(Instant.now(), deadline);
            if (left.isNegative() || !run.loop.awaitDone(left)) {
                return false;
            }
        }
        try {
            finishReleases();
            membership.leave();
        } catch (Exception e) {
            LOG.warn("cannot release the claims or leave the membership (" + e.getMessage()
                    + "); they expire on their own");
        }
        return true;
    }

    @Override
    public void abort() {
        releasing.values().forEach(run -> run.loop.abort());
    }
}
