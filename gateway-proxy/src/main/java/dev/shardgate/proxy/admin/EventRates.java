package dev.shardgate.proxy.admin;

import dev.shardgate.proxy.gateway.ShardStatus;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Events per second per shard, from the shards' running event counts read when the status is asked for. The rate
 * is measured against a reading one to two polls old rather than the last one, so two pages polling at once do not
 * measure over a few milliseconds; after nobody asked for {@link #MAX_SPAN_NANOS} the old readings are dropped
 * (an average over an hour nobody watched says nothing about now) and rates are unknown until the next poll.
 *
 * <p>Thread-safe (synchronized): admin requests run on their own virtual threads.
 */
final class EventRates {
    static final long MIN_SPAN_NANOS = 1_000_000_000L;
    static final long MAX_SPAN_NANOS = 10_000_000_000L;
    private static final long SHORTEST_NANOS = MIN_SPAN_NANOS / 2;

    private record Reading(long at, Map<Integer, Long> counts) {
    }

    private Reading older;
    private Reading newer;

    /**
     * @param now a monotonic time in nanoseconds
     * @return events/s by shard id; a shard is missing while its rate is not known yet
     */
    synchronized Map<Integer, Double> update(List<ShardStatus> shards, long now) {
        Map<Integer, Long> counts = new HashMap<>();
        shards.forEach(s -> counts.put(s.id(), s.events()));
        Reading current = new Reading(now, counts);
        if (older == null || now - newer.at() > MAX_SPAN_NANOS) {
            older = current;
            newer = current;
            return Map.of();
        }
        Map<Integer, Double> rates = new HashMap<>();
        long span = now - older.at();
        if (span >= SHORTEST_NANOS) {
            double seconds = span / 1e9;
            counts.forEach((id, count) -> {
                Long before = older.counts().get(id);
                if (before != null) {
                    rates.put(id, Math.max(0, count - before) / seconds);
                }
            });
        }
        if (now - newer.at() >= MIN_SPAN_NANOS) {
            older = newer;
            newer = current;
        }
        return rates;
    }
}
