package dev.shardgate.simulator.rest;

import java.lang.System.Logger.Level;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Discord's invalid request limit, the "Cloudflare ban": invalid answers (401, 403, non-shared 429) are
 * counted per client IP over a sliding window; reaching the threshold bans the IP for the ban duration.
 * Called from every HTTP handler thread; state guarded by this object's monitor.
 */
final class InvalidRequestLimit {
    private static final System.Logger LOG = System.getLogger(InvalidRequestLimit.class.getName());

    private final int threshold;
    private final long windowMillis;
    private final long banMillis;
    private final Map<String, ArrayDeque<Long>> invalidTimes = new HashMap<>();
    private final Map<String, Long> bannedUntil = new HashMap<>();

    InvalidRequestLimit(RestSettings settings) {
        this.threshold = settings.invalidRequestThreshold();
        this.windowMillis = settings.invalidRequestWindow().toMillis();
        this.banMillis = settings.banDuration().toMillis();
    }

    /** Counts one invalid answer sent to {@code ip}; the one that reaches the threshold starts the ban. */
    synchronized void record(String ip, long nowMillis) {
        ArrayDeque<Long> times = invalidTimes.computeIfAbsent(ip, k -> new ArrayDeque<>());
        times.addLast(nowMillis);
        prune(times, nowMillis);
        if (times.size() >= threshold) {
            times.clear();
            bannedUntil.put(ip, nowMillis + banMillis);
            LOG.log(Level.WARNING, "{0} invalid requests from {1} within {2} s: banned for {3} s",
                    Integer.toString(threshold), ip, Long.toString(windowMillis / 1000), Long.toString(banMillis / 1000));
        }
    }

    /** Milliseconds left of the IP's ban, or 0 if it is not banned. */
    synchronized long banRemainingMillis(String ip, long nowMillis) {
        Long until = bannedUntil.get(ip);
        if (until == null) {
            return 0;
        }
        if (nowMillis >= until) {
            bannedUntil.remove(ip);
            LOG.log(Level.INFO, "ban of {0} has expired", ip);
            return 0;
        }
        return until - nowMillis;
    }

    /** Invalid answers sent to {@code ip} within the sliding window ending now (reset by a ban). */
    synchronized int count(String ip, long nowMillis) {
        ArrayDeque<Long> times = invalidTimes.get(ip);
        if (times == null) {
            return 0;
        }
        prune(times, nowMillis);
        return times.size();
    }

    private void prune(ArrayDeque<Long> times, long nowMillis) {
        while (!times.isEmpty() && times.peekFirst() <= nowMillis - windowMillis) {
            times.removeFirst();
        }
    }
}
