package dev.shardgate.proxy.gateway;

import dev.shardgate.proxy.discovery.GatewayBot.SessionStartLimit;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Decides when each waiting shard may identify (discord-gateway.md §8.2, §8.3): one identify per
 * {@code shard_id % max_concurrency} bucket per window, buckets served in order, and none at all while the
 * session-start budget is spent, until {@code reset_after} has passed. Within a bucket the lowest shard id goes
 * first: a shard takes its place when it starts connecting ({@link #enqueue}) and may be granted once its
 * connection said Hello ({@link #markReady}), so a fleet starts in shard order however its connections race.
 * Pure logic on caller-supplied time;
 * {@link IdentifyQueue} gives it a thread.
 *
 * <p>Not thread-safe: owned by the identify queue's thread.
 */
final class IdentifyPlanner {
    private final int maxConcurrency;
    private final Duration window;
    private final Duration budgetWindow;
    private final List<TreeSet<Integer>> buckets;
    private final Set<Integer> ready = new HashSet<>();
    private final Instant[] bucketFreeAt;
    private int total;
    private int remaining;
    private Instant resetAt;
    private Instant budgetKnownAt;

    /**
     * @param window spacing of identifies in one bucket: Discord's 5 s plus any safety margin
     * @param budgetWindow the length of a budget period once the first {@code reset_after} has passed (a day)
     */
    IdentifyPlanner(SessionStartLimit limit, Instant now, Duration window, Duration budgetWindow) {
        this.maxConcurrency = limit.maxConcurrency();
        this.window = window;
        this.budgetWindow = budgetWindow;
        this.buckets = new ArrayList<>(maxConcurrency);
        this.bucketFreeAt = new Instant[maxConcurrency];
        for (int i = 0; i < maxConcurrency; i++) {
            buckets.add(new TreeSet<>());
            bucketFreeAt[i] = Instant.MIN;
        }
        this.total = limit.total();
        this.remaining = limit.remaining();
        this.resetAt = now.plus(limit.resetAfter());
        this.budgetKnownAt = now;
    }

    /**
     * Takes a fresh {@code session_start_limit} from {@code /gateway/bot} as the truth: other processes of the bot
     * spend the same budget. When it cannot start every shard now waiting in line, none is started until
     * {@code reset_after}: spending the last identifies on part of the fleet leaves no reserve, and one more
     * identify than Discord counts resets the token (discord-gateway.md §8.3).
     *
     * @return true when the shards in line now wait for {@code reset_after}
     */
    boolean budget(SessionStartLimit fresh, Instant now) {
        total = fresh.total();
        remaining = fresh.remaining();
        resetAt = now.plus(fresh.resetAfter());
        budgetKnownAt = now;
        if (remaining < inLine()) {
            remaining = 0;
            return true;
        }
        return false;
    }

    /** Whether shards wait to identify on a budget last read from Discord at least {@code maxAge} ago. */
    boolean budgetStale(Instant now, Duration maxAge) {
        return waiting() > 0 && !now.isBefore(budgetKnownAt.plus(maxAge));
    }

    /** A refresh failed: keep counting locally, and ask again only after another {@code maxAge}. */
    void budgetUnchanged(Instant now) {
        budgetKnownAt = now;
    }

    /**
     * An identify of this bucket happened at {@code at} in another process (the previous one of these shards):
     * the bucket's window runs from then, because Discord's limit is per bot, not per process.
     */
    void identifiedElsewhere(int bucket, Instant at) {
        if (bucket >= 0 && bucket < maxConcurrency && at.plus(window).isAfter(bucketFreeAt[bucket])) {
            bucketFreeAt[bucket] = at.plus(window);
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

    /** The shards that may identify now, in bucket order; each grant uses one budget unit and its bucket's window. */
    List<Integer> due(Instant now) {
        refillIfReset(now);
        List<Integer> granted = new ArrayList<>();
        for (int b = 0; b < maxConcurrency && remaining > 0; b++) {
            TreeSet<Integer> q = buckets.get(b);
            if (headReady(b) && !now.isBefore(bucketFreeAt[b])) {
                int shard = q.pollFirst();
                ready.remove(shard);
                granted.add(shard);
                bucketFreeAt[b] = now.plus(window);
                remaining--;
            }
        }
        return granted;
    }

    /** When {@link #due} may next grant something, or empty when nobody waits. */
    Optional<Instant> nextWakeup(Instant now) {
        refillIfReset(now);
        Instant next = null;
        for (int b = 0; b < maxConcurrency; b++) {
            if (headReady(b)) {
                Instant t = remaining > 0 ? bucketFreeAt[b] : resetAt;
                next = next == null || t.isBefore(next) ? t : next;
            }
        }
        if (next != null && next.isBefore(now)) {
            next = now;
        }
        return Optional.ofNullable(next);
    }

    /** True when shards wait only because the session-start budget is spent. */
    boolean blockedOnBudget(Instant now) {
        refillIfReset(now);
        return remaining == 0 && waiting() > 0;
    }

    Instant budgetResetAt() {
        return resetAt;
    }

    int remaining() {
        return remaining;
    }

    /** Shards ready to identify and waiting for their turn. */
    int waiting() {
        return ready.size();
    }

    /** Shards that will identify: in line, whether or not their connection said Hello yet. */
    int inLine() {
        return buckets.stream().mapToInt(TreeSet::size).sum();
    }

    private boolean headReady(int bucket) {
        TreeSet<Integer> q = buckets.get(bucket);
        return !q.isEmpty() && ready.contains(q.first());
    }

    private void refillIfReset(Instant now) {
        if (!now.isBefore(resetAt)) {
            remaining = total;
            resetAt = now.plus(budgetWindow);
        }
    }
}
