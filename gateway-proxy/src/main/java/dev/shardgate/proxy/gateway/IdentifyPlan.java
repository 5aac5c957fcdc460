package dev.shardgate.proxy.gateway;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A snapshot of this process's identify line, taken by the identify queue's thread: for each bucket with shards in
 * line, how many there are and when the first may be offered. Each bucket then identifies one shard per
 * {@code period}, so its last shard goes {@code (inLine - 1) × period} after {@code next}.
 *
 * @param at when the snapshot was taken
 * @param period the spacing of two identifies of one bucket that this process plans with
 */
public record IdentifyPlan(Instant at, Duration period, List<Line> lines) {

    /** @param next when the bucket's head may be offered (the bucket's window or retry time, or {@code at}) */
    public record Line(int bucket, int inLine, Instant next) {
    }

    /** Nothing in line. */
    public static IdentifyPlan empty(Instant at, Duration period) {
        return new IdentifyPlan(at, period, List.of());
    }
}
