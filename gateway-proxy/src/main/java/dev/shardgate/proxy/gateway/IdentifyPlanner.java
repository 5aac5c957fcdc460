package dev.shardgate.proxy.gateway;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * This process's line for identifies (discord-gateway.md §8.2): one line per {@code shard_id % max_concurrency}
 * bucket, lowest shard id first. A shard takes its place when it starts connecting ({@link #enqueue}) and may be
 * offered once its connection said Hello ({@link #markReady}), so a fleet starts in shard order however its
 * connections race. Each bucket also has a "not before" time: after a grant (the bucket's window) or after the
 * fleet-wide coordinator said no (a retry time). The coordinator has the last word; this only decides which shard
 * asks and when. Pure logic on caller-supplied time; {@link IdentifyQueue} gives it a thread.
 *
 * <p>Not thread-safe: owned by the identify queue's thread.
 */
final class IdentifyPlanner {
    private final int maxConcurrency;
    private final Duration window;
    private final List<TreeSet<Integer>> buckets;
    private final Set<Integer> ready = new HashSet<>();
    private final Instant[] notBefore;

    /** @param window spacing of identifies in one bucket: Discord's 5 s plus any safety margin */
    IdentifyPlanner(int maxConcurrency, Duration window) {
        this.maxConcurrency = maxConcurrency;
        this.window = window;
        this.buckets = new ArrayList<>(maxConcurrency);
        this.notBefore = new Instant[maxConcurrency];
        for (int i = 0; i < maxConcurrency; i++) {
            buckets.add(new TreeSet<>());
            notBefore[i] = Instant.MIN;
        }
    }

    /** Takes the shard's place in its bucket's line. */
    void enqueue(int shardId) {
        buckets.get(bucketOf(shardId)).add(shardId);
    }

    /** The shard's connection said Hello: it may identify when its turn comes. */
    void markReady(int shardId) {
        enqueue(shardId);
        ready.add(shardId);
    }

    void cancel(int shardId) {
        buckets.get(bucketOf(shardId)).remove(shardId);
        ready.remove(shardId);
    }

    int bucketOf(int shardId) {
        return shardId % maxConcurrency;
    }

    /** The shard at the head of each bucket whose turn it is now (ready, and the bucket's time has come). */
    List<Integer> candidates(Instant now) {
        List<Integer> out = new ArrayList<>();
        for (int b = 0; b < maxConcurrency; b++) {
            if (headReady(b) && !now.isBefore(notBefore[b])) {
                out.add(buckets.get(b).first());
            }
        }
        return out;
    }

    /** The shard may identify: it leaves the line and its bucket waits a window. */
    void granted(int shardId, Instant now) {
        cancel(shardId);
        notBefore[bucketOf(shardId)] = now.plus(window);
    }

    /** The coordinator refused this bucket for now: ask again at {@code at}. */
    void retryAt(int bucket, Instant at) {
        notBefore[bucket] = at;
    }

    /** When a candidate may next appear, or empty when nobody is ready. */
    Optional<Instant> nextWakeup(Instant now) {
        Instant next = null;
        for (int b = 0; b < maxConcurrency; b++) {
            if (headReady(b)) {
                Instant t = notBefore[b].isBefore(now) ? now : notBefore[b];
                next = next == null || t.isBefore(next) ? t : next;
            }
        }
        return Optional.ofNullable(next);
    }

    /** Shards ready to identify and waiting for their turn. */
    int waiting() {
        return ready.size();
    }

    /** Every bucket's line as it stands: how many shards are in it and when its head may next be offered. */
    IdentifyPlan plan(Instant now) {
        List<IdentifyPlan.Line> lines = new ArrayList<>();
        for (int b = 0; b < maxConcurrency; b++) {
            int inLine = buckets.get(b).size();
            if (inLine > 0) {
                lines.add(new IdentifyPlan.Line(b, inLine, notBefore[b].isBefore(now) ? now : notBefore[b]));
            }
        }
        return new IdentifyPlan(now, window, List.copyOf(lines));
    }

    private boolean headReady(int bucket) {
        TreeSet<Integer> q = buckets.get(bucket);
        return !q.isEmpty() && ready.contains(q.first());
    }
}
