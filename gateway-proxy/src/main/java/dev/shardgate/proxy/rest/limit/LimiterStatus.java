package dev.shardgate.proxy.rest.limit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the limiter knows at one moment, for the status page: the busiest tokens' state and global limit, the busiest
 * buckets (a big bot has thousands; the page needs the ones that wait or run low) and the invalid-request breaker.
 * Built on the limiter thread by {@link Limiter#status}, immutable afterwards. Times are relative to the moment it
 * was taken, since the limiter's clock is monotonic.
 *
 * @param share the part of every limit this replica may use (below 1 when replicas split the limits)
 * @param bucketCount every bucket the limiter holds; {@code buckets} lists at most the requested number of them
 * @param queued requests waiting in any bucket or global queue
 */
public record LimiterStatus(double share, List<TokenStatus> tokens, int bucketCount, List<BucketStatus> buckets,
        int queued, BreakerStatus breaker) {

    /**
     * @param token the token's fingerprint (never the token)
     * @param globalInUse global slots taken in the current window (in flight or answered less than a window ago)
     * @param pausedForMillis how long a global 429 still pauses the token, or 0
     * @param blockedForMillis how long a Cloudflare ban (BANNED) or the next probe (LOCKED) is away, or 0
     */
    public record TokenStatus(String token, TokenState state, int globalLimit, int globalInUse, int globalQueued,
            long pausedForMillis, long blockedForMillis) {
    }

    /**
     * @param bucket Discord's bucket hash, or the route template while the hash is not known ({@code provisional})
     * @param routes the route templates known to share this bucket
     * @param limit the bucket's size, or -1 before Discord's first answer told it
     * @param remaining free slots now, or -1 before the first answer
     * @param resetInMillis until the next slot comes back (or a 429's block ends), or -1 when nothing is due
     */
    public record BucketStatus(String token, String bucket, boolean provisional, String major, List<String> routes,
            int limit, int remaining, int inFlight, int queued, long resetInMillis, boolean blocked) {
    }

    /**
     * @param invalidRequests 401, 403 and non-shared 429 answers in the last 10 minutes
     * @param threshold where the breaker opens ({@code REST_INVALID_REQUEST_LIMIT})
     * @param closesInMillis while open, the earliest it can close, else 0
     */
    public record BreakerStatus(boolean open, int invalidRequests, int threshold, long closesInMillis) {
    }

    private static final long MILLI = 1_000_000L;
    /** Tokens listed: the busiest, however many the limiter keeps state for. */
    private static final int MAX_TOKENS = 100;

    /** Limiter thread only: reads the limiter's state without changing what it will do next. */
    static LimiterStatus of(Collection<TokenLimits> tokens, InvalidRequestBreaker breaker, double share, long now,
            int maxBuckets) {
        List<TokenStatus> tokenList = new ArrayList<>();
        List<BucketStatus> all = new ArrayList<>();
        int queued = 0;
        for (TokenLimits t : tokens) {
            long blocked = switch (t.state()) {
                case ACTIVE -> 0;
                case LOCKED -> t.probeAt - now;
                case BANNED -> t.bannedUntil - now;
            };
            tokenList.add(new TokenStatus(t.id.fingerprint(), t.state(), t.global.limit(), t.global.inUse(now),
                    t.globalQueue.size(), millisUntil(t.globalPausedUntil, now), Math.max(0, blocked / MILLI)));
            queued += t.globalQueue.size();
            Map<String, List<String>> routesByHash = new TreeMap<>();
            t.hashes.forEach((template, hash) -> routesByHash.computeIfAbsent(hash, h -> new ArrayList<>())
                    .add(template));
            for (Bucket b : t.buckets.values()) {
                queued += b.queue.size();
                long next = b.nextChange(now);
                all.add(new BucketStatus(t.id.fingerprint(), b.key.bucket(), b.key.isProvisional(),
                        b.key.major().toString(), b.key.isProvisional() ? List.of(b.key.bucket())
                                : List.copyOf(routesByHash.getOrDefault(b.key.bucket(), List.of())),
                        b.limit(), b.remaining(now), b.inFlight(), b.queue.size(),
                        next == Long.MAX_VALUE ? -1 : Math.max(0, (next - now) / MILLI), b.isBlocked(now)));
            }
        }
        // The ones a person watching needs first: requests waiting, then those in flight, then the nearest to empty.
        all.sort(Comparator.comparingInt(BucketStatus::queued).reversed()
                .thenComparing(Comparator.comparingInt(BucketStatus::inFlight).reversed())
                .thenComparingDouble(LimiterStatus::fullness));
        // The busiest tokens (of up to REST_TOKEN_MAX), in a stable order for the page.
        tokenList.sort(Comparator.comparingInt((TokenStatus t) -> t.globalInUse() + t.globalQueued()).reversed()
                .thenComparing(TokenStatus::token));
        List<TokenStatus> shown = new ArrayList<>(tokenList.subList(0, Math.min(MAX_TOKENS, tokenList.size())));
        shown.sort(Comparator.comparing(TokenStatus::token));
        boolean open = breaker.state(now) == InvalidRequestBreaker.State.OPEN;
        return new LimiterStatus(share, List.copyOf(shown), all.size(),
                List.copyOf(all.subList(0, Math.min(maxBuckets, all.size()))), queued,
                new BreakerStatus(open, breaker.count(now), breaker.threshold(),
                        open ? Math.max(0, (breaker.closesAt(now) - now) / MILLI) : 0));
    }

    /** The part of the bucket left: 0 is empty; unknown limits sort last. */
    private static double fullness(BucketStatus b) {
        return b.limit() <= 0 ? 2.0 : (double) b.remaining() / b.limit();
    }

    private static long millisUntil(long at, long now) {
        return at == Long.MIN_VALUE || at <= now ? 0 : (at - now) / MILLI;
    }
}
