package dev.shardgate.proxy.fleet;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * Keeps each held shard's checkpoint close behind its session: every interval, for every shard whose lease this
 * process holds, the last received seq is lowered to the last one fully stored in JetStream ({@link StoredThrough})
 * and written when it moved. So writes are bounded by one per shard per interval, however many events flow, and all
 * of an interval's writes are pipelined together. A write is made only while the lease is held, and the stored seq
 * is read before that check, so a seq is never taken from events that were dropped after the lease was lost.
 *
 * <p>Threads: owns {@code shardgate-checkpoints}; completions of writes run on jnats' threads and only touch the
 * concurrent in-flight map.
 */
public final class CheckpointWriter implements AutoCloseable {
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(2);

    /** The highest seq of a shard's session such that every event up to it is stored. */
    public interface StoredThrough {
        long safeSeq(int shard, String sessionId, long lastSeq);
    }

    private final Checkpoints checkpoints;
    private final ShardLeases leases;
    private final IntFunction<Optional<Checkpoint>> positions;
    private final StoredThrough stored;
    private final Collection<Integer> shards;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("shardgate-checkpoints").daemon().factory());
    private final Map<Integer, Checkpoint> written = new HashMap<>();
    private final Map<Integer, CompletableFuture<Boolean>> inFlight = new ConcurrentHashMap<>();

    /**
     * @param positions a shard's session and last received seq, or empty without a session
     * @param shards the shards this process may hold
     */
    @SuppressWarnings("FutureReturnValueIgnored") // pass() is never cancelled but by close(); its writes catch their failures
    public CheckpointWriter(Checkpoints checkpoints, ShardLeases leases, IntFunction<Optional<Checkpoint>> positions,
            StoredThrough stored, Collection<Integer> shards, Duration interval) {
        this.checkpoints = checkpoints;
        this.leases = leases;
        this.positions = positions;
        this.stored = stored;
        this.shards = shards;
        thread.scheduleWithFixedDelay(this::pass, interval.toNanos(), interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    @SuppressWarnings("FutureReturnValueIgnored") // whenComplete's own future: the callback only records the outcome
    private void pass() {
        for (int shard : shards) {
            if (inFlight.containsKey(shard) || !leases.holds(shard)) {
                continue;
            }
            Optional<Checkpoint> position = positions.apply(shard);
            if (position.isEmpty()) {
                continue;
            }
            Checkpoint p = position.get();
            long safe = stored.safeSeq(shard, p.session().sessionId(), p.seq());
            Checkpoint next = new Checkpoint(shard, p.session(), safe);
            if (safe < 0 || next.equals(written.get(shard)) || !leases.holds(shard)) {
                continue;
            }
            CompletableFuture<Boolean> write = checkpoints.write(next);
            inFlight.put(shard, write);
            write.whenComplete((ok, error) -> {
                inFlight.remove(shard);
                if (Boolean.TRUE.equals(ok)) {
                    thread.execute(() -> written.put(shard, next));
                }
            });
        }
    }

    /** Stops writing and waits briefly for writes in flight, so the hand-over's final write goes on top of them. */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            CompletableFuture.allOf(inFlight.values().toArray(CompletableFuture[]::new))
                    .get(DRAIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // A write that does not answer in time is superseded by the hand-over's own write or simply lost.
        }
    }
}
