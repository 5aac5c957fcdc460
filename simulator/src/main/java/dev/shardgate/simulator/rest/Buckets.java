package dev.shardgate.simulator.rest;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * The per-route buckets, one {@link BucketWindow} per {@link BucketKey}. Called from every HTTP handler thread;
 * all state is guarded by this object's monitor (each call is a few map operations, so one lock is enough).
 */
final class Buckets {
    private final Map<RouteBucket, RateLimit> limits = new EnumMap<>(RouteBucket.class);
    private final Map<BucketKey, BucketWindow> windows = new HashMap<>();

    Buckets() {
        for (RouteBucket bucket : RouteBucket.values()) {
            limits.put(bucket, bucket.defaultLimit());
        }
    }

    synchronized WindowState acquire(RouteBucket bucket, String resource, long nowMillis) {
        BucketKey key = BucketKey.of(bucket, resource);
        if (windows.size() > 100_000) {
            // Benchmarks touch many channels; forget windows that have reset, as Discord forgets them.
            windows.values().removeIf(window -> window.idle(nowMillis));
        }
        return windows.computeIfAbsent(key, k -> BucketWindow.of(limits.get(bucket))).tryAcquire(nowMillis);
    }

    /** Changes a bucket's size; windows already open are dropped, so the next request opens a new one. */
    synchronized void setLimit(RouteBucket bucket, RateLimit limit) {
        limits.put(bucket, limit);
        windows.keySet().removeIf(key -> key.hash().equals(bucket.hash()));
    }

    synchronized RateLimit limit(RouteBucket bucket) {
        return limits.get(bucket);
    }
}
