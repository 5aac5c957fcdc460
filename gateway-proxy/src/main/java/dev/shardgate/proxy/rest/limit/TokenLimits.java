package dev.shardgate.proxy.rest.limit;

import dev.shardgate.proxy.rest.route.BucketKey;
import dev.shardgate.proxy.rest.route.Route;
import dev.shardgate.proxy.rest.route.TokenId;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Everything the limiter knows about one token: route → bucket hash, the buckets, the global limit and its
 * queue, pauses, and the token's {@link TokenState}. Limiter thread only.
 */
final class TokenLimits {
    /** Marks a route whose answers carry no rate-limit headers: only the global limit applies. */
    static final String NO_LIMIT = "";
    private static final System.Logger LOG = System.getLogger(TokenLimits.class.getName());

    final TokenId id;
    final Map<String, String> hashes = new HashMap<>();
    final Map<BucketKey, Bucket> buckets = new HashMap<>();
    final GlobalLimit global;
    final ArrayDeque<Waiter> globalQueue = new ArrayDeque<>();
    /** Until when a global 429 pauses every non-exempt request. */
    long globalPausedUntil = Long.MIN_VALUE;
    /** Known hidden sublimits ({@code name + major}) and until when they are used up. */
    final Map<String, Long> sublimitsUntil = new HashMap<>();
    private TokenState state = TokenState.ACTIVE;
    long bannedUntil;
    long probeAt;
    boolean probing;
    private Scheduler.Cancellable globalWakeup;
    private long globalWakeupAt = Long.MAX_VALUE;

    TokenLimits(TokenId id, GlobalLimit global) {
        this.id = id;
        this.global = global;
    }

    TokenState state() {
        return state;
    }

    /** The one place a token's state changes; every change is logged and counted. */
    void transition(TokenState next, String why, LimiterMetrics metrics) {
        if (next == state) {
            return;
        }
        LOG.log(next == TokenState.ACTIVE ? System.Logger.Level.INFO : System.Logger.Level.ERROR,
                "{0}: {1} -> {2} ({3})", id, state, next, why);
        metrics.tokenTransition(state, next);
        state = next;
    }

    /**
     * Holds nothing that forgetting could break: no request waiting or in flight, no global slot inside its window,
     * no bucket with state, no pause, ban or probe pending. Its state would be learnt again from the next answers.
     */
    boolean isIdle(long now) {
        return globalQueue.isEmpty() && global.inUse(now) == 0 && now >= globalPausedUntil && !probing
                && (state != TokenState.BANNED || now >= bannedUntil) && globalWakeup == null
                && buckets.values().stream().allMatch(b -> b.isIdle(now));
    }

    /** The bucket a route's requests wait in, or null when the route has no per-route limit. */
    Bucket bucketFor(Route route, double share) {
        String hash = hashes.get(route.template());
        if (NO_LIMIT.equals(hash)) {
            return null;
        }
        BucketKey key = hash == null ? BucketKey.provisional(id, route) : BucketKey.ofHash(id, hash, route.major());
        return bucket(key, share);
    }

    Bucket bucket(BucketKey key, double share) {
        return buckets.computeIfAbsent(key, k -> {
            Bucket b = new Bucket(k);
            b.share(share);
            return b;
        });
    }

    String sublimitKey(Route route) {
        return route.sublimit().map(s -> s + "/" + route.major()).orElse(null);
    }

    void wakeGlobalAt(long at, Scheduler scheduler, Runnable task) {
        if (at >= globalWakeupAt) {
            return;
        }
        if (globalWakeup != null) {
            globalWakeup.cancel();
        }
        globalWakeupAt = at;
        globalWakeup = scheduler.schedule(() -> {
            globalWakeup = null;
            globalWakeupAt = Long.MAX_VALUE;
            task.run();
        }, at - scheduler.nanoTime());
    }
}
