package dev.shardgate.proxy.gateway;

import dev.shardgate.config.Backoff;
import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * How long a shard waits before its next connection attempt (discord-gateway.md §13.3): quickly after the first
 * loss of an established session, then exponentially longer while attempts keep failing ({@link Backoff}, with
 * its equal jitter so that many shards do not reconnect in step). {@link #reset} after a session is READY or RESUMED.
 *
 * <p>Not thread-safe: owned by the shard's thread.
 */
public final class ReconnectPolicy {
    static final Duration FIRST = Duration.ofMillis(500);
    static final Duration BASE = Duration.ofSeconds(1);
    static final Duration CAP = Duration.ofSeconds(60);
    private static final Backoff BACKOFF = new Backoff(BASE, CAP);

    private final RandomGenerator random;
    private int failures;

    public ReconnectPolicy(RandomGenerator random) {
        this.random = random;
    }

    /** The delay before the next attempt; each call counts one more attempt. */
    public Duration nextDelay() {
        int attempt = failures++;
        if (attempt == 0) {
            return Duration.ofMillis((long) (FIRST.toMillis() * random.nextDouble()));
        }
        return BACKOFF.jittered(attempt, random);
    }

    public void reset() {
        failures = 0;
    }

    public int attempts() {
        return failures;
    }
}
