package dev.shardgate.simulator.gateway;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per shard, how many open connections are attributed to it now, and the most there were at once since the last
 * reset: the measure behind "never two connections for one shard". A connection is attributed to a shard by
 * {@link GatewayEngine} once it sends a valid Identify or Resume for it, and stops counting when the server sees
 * its socket closed.
 *
 * <p>Threads: only the gateway loop thread writes (attach, detach, reset), so a peak can never miss an overlap
 * and a reset never races an attach. Any thread reads without waiting; peak is written before open, so a reader
 * never sees an open count above the peak.
 */
final class ShardConnections {
    private final ConcurrentHashMap<Integer, Count> byShard = new ConcurrentHashMap<>();

    /** One shard's counts; single writer (the loop), so plain read-modify-write on volatiles is exact. */
    private static final class Count {
        volatile int open;
        volatile int peak;
    }

    void attach(int shardId) {
        Count c = byShard.computeIfAbsent(shardId, id -> new Count());
        int open = c.open + 1;
        if (open > c.peak) {
            c.peak = open;
        }
        c.open = open;
    }

    void detach(int shardId) {
        Count c = byShard.get(shardId);
        int open = c == null ? 0 : c.open;
        if (open == 0) {
            throw new IllegalStateException("shard " + shardId + " has no attributed connection to detach");
        }
        c.open = open - 1;
    }

    /** Starts a new measurement: each shard's peak becomes its current open count. */
    void resetPeaks() {
        for (Count c : byShard.values()) {
            c.peak = c.open;
        }
    }

    int open(int shardId) {
        Count c = byShard.get(shardId);
        return c == null ? 0 : c.open;
    }

    int peak(int shardId) {
        Count c = byShard.get(shardId);
        return c == null ? 0 : c.peak;
    }

    /** Shards with at least one attributed connection open, by shard id. */
    Map<Integer, Integer> open() {
        Map<Integer, Integer> out = new TreeMap<>();
        byShard.forEach((shard, c) -> {
            int n = c.open;
            if (n > 0) {
                out.put(shard, n);
            }
        });
        return out;
    }

    /** Shards that had an attributed connection since the last reset, with their peak, by shard id. */
    Map<Integer, Integer> peaks() {
        Map<Integer, Integer> out = new TreeMap<>();
        byShard.forEach((shard, c) -> {
            int n = c.peak;
            if (n > 0) {
                out.put(shard, n);
            }
        });
        return out;
    }
}
