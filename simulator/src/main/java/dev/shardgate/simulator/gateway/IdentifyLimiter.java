package dev.shardgate.simulator.gateway;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Discord's identify concurrency rule (discord-gateway.md §8.2): {@code bucket = shard_id % max_concurrency},
 * one identify per bucket per 5 s; an identify over the limit is answered with op 9 {@code false}.
 * Owned by the gateway loop thread.
 */
final class IdentifyLimiter {
    private final Clock clock;
    private final Duration window;
    private final Instant[] lastIdentify;

    IdentifyLimiter(Clock clock, int maxConcurrency, Duration window) {
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException("max_concurrency must be at least 1: " + maxConcurrency);
        }
        this.clock = clock;
        this.window = window;
        this.lastIdentify = new Instant[maxConcurrency];
    }

    int bucketOf(int shardId) {
        return shardId % lastIdentify.length;
    }

    /** Takes the bucket's slot if its window has passed; false means the identify must be refused. */
    boolean tryAcquire(int shardId) {
        int bucket = bucketOf(shardId);
        Instant now = clock.instant();
        Instant last = lastIdentify[bucket];
        if (last != null && now.isBefore(last.plus(window))) {
            return false;
        }
        lastIdentify[bucket] = now;
        return true;
    }
}
