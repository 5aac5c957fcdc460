package dev.shardgate.proxy.discovery;

import java.net.URI;
import java.time.Duration;

/**
 * The answer of {@code GET /gateway/bot}: where to connect, the recommended shard count and the
 * session-start budget.
 */
public record GatewayBot(URI url, int shards, SessionStartLimit sessionStartLimit) {

    /**
     * {@code session_start_limit}.
     *
     * @param resetAfter time until {@code remaining} is reset to {@code total}
     * @param maxConcurrency identifies allowed per 5 s, and the number of identify buckets
     */
    public record SessionStartLimit(int total, int remaining, Duration resetAfter, int maxConcurrency) {
    }
}
