package dev.shardgate.simulator.rest;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the REST simulator saw, for tests and benchmarks: requests per bucket key with their times, 429s by
 * scope, the most requests any identity sent within one second, invalid requests and bans. Written by HTTP
 * handler threads, read by test threads; state guarded by this object's monitor, counters are atomics.
 */
public final class RestObservations {
    private static final long GLOBAL_WINDOW_MILLIS = 1000;

    private final Clock clock;
    private final InvalidRequestLimit invalidRequests;
    private final Map<BucketKey, List<Long>> requestTimes = new HashMap<>();
    private final Map<String, ArrayDeque<Long>> lastSecond = new HashMap<>();
    private final Map<String, Integer> maxPerSecond = new HashMap<>();
    private final Map<RateLimitScope, AtomicLong> rateLimited = new EnumMap<>(RateLimitScope.class);
    private final AtomicLong invalidTotal = new AtomicLong();

    RestObservations(Clock clock, InvalidRequestLimit invalidRequests) {
        this.clock = clock;
        this.invalidRequests = invalidRequests;
        for (RateLimitScope scope : RateLimitScope.values()) {
            rateLimited.put(scope, new AtomicLong());
        }
    }

    /** Times at which requests counted against this bucket key arrived (429s included), oldest first. */
    public synchronized List<Instant> requestTimes(BucketKey key) {
        return requestTimes.getOrDefault(key, List.of()).stream().map(Instant::ofEpochMilli).toList();
    }

    /** Request counts per bucket key ({@code hash:resource}), sorted by key. */
    public synchronized Map<String, Integer> requestCounts() {
        Map<String, Integer> counts = new TreeMap<>();
        requestTimes.forEach((key, times) -> counts.put(key.toString(), times.size()));
        return counts;
    }

    /** How many 429s (or, for {@link RateLimitScope#CLOUDFLARE}, 1015 answers) were sent with this scope. */
    public long rateLimited(RateLimitScope scope) {
        return rateLimited.get(scope).get();
    }

    /**
     * The most requests subject to the global limit that arrived within any one second (a sliding window) with
     * this bot token ({@code Authorization: Bot <token>}); requests refused with 429 count too, since they were
     * sent.
     */
    public synchronized int maxRequestsPerSecondOfToken(String botToken) {
        return maxPerSecond.getOrDefault(tokenIdentity(botToken), 0);
    }

    /** As {@link #maxRequestsPerSecondOfToken}, for requests without {@code Authorization} from this IP. */
    public synchronized int maxRequestsPerSecondOfIp(String ip) {
        return maxPerSecond.getOrDefault(ipIdentity(ip), 0);
    }

    /** Invalid answers (401, 403, non-shared 429) to this IP within the invalid-request window ending now. */
    public int invalidRequests(String ip) {
        return invalidRequests.count(ip, clock.millis());
    }

    /** Invalid answers to anyone since the start. */
    public long invalidRequestsTotal() {
        return invalidTotal.get();
    }

    public boolean isBanned(String ip) {
        return invalidRequests.banRemainingMillis(ip, clock.millis()) > 0;
    }

    /** Forgets request times and counts (not bans, not the invalid-request window). */
    public synchronized void reset() {
        requestTimes.clear();
        lastSecond.clear();
        maxPerSecond.clear();
        rateLimited.values().forEach(counter -> counter.set(0));
        invalidTotal.set(0);
    }

    static String tokenIdentity(String botToken) {
        return "token:" + botToken;
    }

    static String ipIdentity(String ip) {
        return "ip:" + ip;
    }

    synchronized void requestCounted(BucketKey key, long nowMillis) {
        requestTimes.computeIfAbsent(key, k -> new ArrayList<>()).add(nowMillis);
    }

    synchronized void globalRequest(String identity, long nowMillis) {
        ArrayDeque<Long> times = lastSecond.computeIfAbsent(identity, k -> new ArrayDeque<>());
        times.addLast(nowMillis);
        while (times.peekFirst() <= nowMillis - GLOBAL_WINDOW_MILLIS) {
            times.removeFirst();
        }
        maxPerSecond.merge(identity, times.size(), Math::max);
    }

    void countRateLimited(RateLimitScope scope) {
        rateLimited.get(scope).incrementAndGet();
    }

    void countInvalid() {
        invalidTotal.incrementAndGet();
    }
}
