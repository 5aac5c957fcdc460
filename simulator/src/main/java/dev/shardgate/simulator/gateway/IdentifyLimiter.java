package dev.shardgate.simulator.gateway;

import java.time.Duration;
import java.time.Instant;

/**
 * Discord's identify concurrency rule (discord-gateway.md §8.2): {@code bucket = shard_id % max_concurrency},
 * one identify per bucket per 5 s; an identify over the limit is answered with op 9 {@code false}.
 * Judged by when each Identify was received, not when the gateway loop got to it, so a busy loop neither
 * refuses an identify that arrived in time nor lets through one that arrived too early.
 * Owned by the gateway loop thread.
 */
final class IdentifyLimiter {
    private final Duration window;
    private final Instant[] lastIdentify;

    IdentifyLimiter(int maxConcurrency, Duration window) {
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException("max_concurrency must be at least 1: " + maxConcurrency);
        }
        this.window = window;
        this.lastIdentify = new Instant[maxConcurrency];
    }

    int bucketOf(int shardId) {
        return shardId % lastIdentify.length;
    }

    /**
     * Takes the bucket's slot for an Identify received at {@code receivedAt} if the bucket's window has passed;
     * false means the identify must be refused. The two websocket servers hand payloads over independently, so
     * one received a moment earlier can come second: it lands inside the window and is refused, as it should be.
     */
    boolean tryAcquire(int shardId, Instant receivedAt) {
        int bucket = bucketOf(shardId);
        Instant last = lastIdentify[bucket];
        if (last != null && receivedAt.isBefore(last.plus(window))) {
            return false;
        }
        lastIdentify[bucket] = receivedAt;
        return true;
    }
}
