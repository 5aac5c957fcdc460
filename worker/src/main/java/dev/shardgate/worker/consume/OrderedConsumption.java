package dev.shardgate.worker.consume;

import dev.shardgate.protocol.Subjects;
import dev.shardgate.worker.WorkerMetrics;
import dev.shardgate.worker.route.Membership;
import dev.shardgate.worker.route.ShardAssignment;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Ordered mode: one durable consumer per shard ({@code {consumer}-shard-{n}} filtered on
 * {@code {prefix}.events.{n}.>}) with at most one unacknowledged event, pulled by a SEQUENTIAL loop, so a shard's
 * events (hence a guild's) are handled one after another. Shards are split over the live replicas
 * ({@link Membership}, {@link ShardAssignment}) and rebalanced every heartbeat as replicas come and go.
 * Ordering never depends on the split being agreed at every instant: while two replicas briefly pull the same
 * shard during a hand-over, the server still lets only one event of that shard be in flight.
 * Owns one scheduler thread that heartbeats, rebalances and is the only one to touch {@link #loops}.
 */
public final class OrderedConsumption implements Consumption {
    private static final System.Logger LOG = System.getLogger(OrderedConsumption.class.getName());

    private final Consumers consumers;
    private final String consumer;
    private final Subjects subjects;
    private final int shardCount;
    private final Membership membership;
    private final EventProcessor processor;
    private final InFlight inFlight;
    private final ExecutorService handlers;
    private final WorkerMetrics metrics;
    private final ScheduledExecutorService rebalancer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("ordered-rebalance").daemon().factory());
    private final Map<Integer, PullLoop> loops = new HashMap<>();
    private final List<PullLoop> released = new CopyOnWriteArrayList<>();

    public OrderedConsumption(Consumers consumers, String consumer, Subjects subjects, int shardCount,
            Membership membership, EventProcessor processor, InFlight inFlight, ExecutorService handlers,
            WorkerMetrics metrics) {
        this.consumers = consumers;
        this.consumer = consumer;
        this.subjects = subjects;
        this.shardCount = shardCount;
        this.membership = membership;
        this.processor = processor;
        this.inFlight = inFlight;
        this.handlers = handlers;
        this.metrics = metrics;
        metrics.releasingShards(() -> released.stream().filter(loop -> !loop.isDone()).count());
    }

    @Override
    public void start() {
        LOG.log(Level.INFO, "ordered mode: replica " + membership.self() + ", " + shardCount + " shards");
        rebalancer.scheduleWithFixedDelay(this::rebalance, 0, Membership.HEARTBEAT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Runs on the rebalance thread only. */
    private void rebalance() {
        Set<Integer> owned;
        try {
            membership.heartbeat();
            owned = ShardAssignment.owned(membership.self(), membership.members(), shardCount);
        } catch (Exception e) {
            // keep the current shards: a NATS hiccup must not hand every shard back and forth
            LOG.log(Level.WARNING, "membership unavailable (" + e.getMessage() + "); keeping "
                    + new TreeSet<>(loops.keySet()));
            return;
        }
        released.removeIf(PullLoop::isDone);
        Set<Integer> gone = new TreeSet<>(loops.keySet());
        gone.removeAll(owned);
        for (int shard : gone) {
            PullLoop loop = loops.remove(shard);
            loop.stop();
            released.add(loop);
        }
        Set<Integer> added = new TreeSet<>(owned);
        added.removeAll(loops.keySet());
        for (int shard : added) {
            String durable = consumer + "-shard-" + shard;
            PullLoop loop = new PullLoop(durable, () -> consumers.open(durable, subjects.shardEvents(shard), 1, 1),
                    processor, inFlight, PullLoop.Dispatch.SEQUENTIAL, handlers);
            loops.put(shard, loop);
            loop.start();
        }
        if (!gone.isEmpty() || !added.isEmpty()) {
            LOG.log(Level.INFO, "rebalanced: now " + owned.size() + " shards " + new TreeSet<>(owned) + ", released "
                    + gone + ", took " + added);
        }
        metrics.ownedShards(owned.size());
    }

    @Override
    public void stop() {
        rebalancer.shutdown();
        try {
            if (!rebalancer.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.log(Level.WARNING, "a rebalance is still running while stopping");
            }
            membership.leave();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.log(Level.WARNING, "cannot leave the membership (" + e.getMessage() + "); it expires on its own");
        }
        loops.values().forEach(PullLoop::stop);
        released.addAll(loops.values());
        loops.clear();
        metrics.ownedShards(0);
    }

    @Override
    public boolean awaitDone(Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        for (PullLoop loop : released) {
            Duration left = Duration.between(Instant.now(), deadline);
            if (left.isNegative() || !loop.awaitDone(left)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void abort() {
        released.forEach(PullLoop::abort);
    }
}
