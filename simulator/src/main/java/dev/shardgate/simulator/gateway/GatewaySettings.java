package dev.shardgate.simulator.gateway;

import java.time.Clock;
import java.time.Duration;

/**
 * Everything the simulated gateway is configured with.
 *
 * @param token the valid bot token (bare, without {@code Bot })
 * @param shards the recommended shard count {@code /gateway/bot} returns; also the layout the event generator uses
 * @param maxConcurrency identify buckets; one identify per bucket per {@code identifyWindow}
 * @param enabledPrivilegedIntents the privileged intents "enabled in the Developer Portal"; others close 4014
 * @param zlibSplitAbove split compressed payloads larger than this over several websocket messages (0 = never)
 * @param replayCapacity dispatches kept per session for resume replay
 * @param ledgerCapacity entries kept in the dispatch ledger and the command log
 */
public record GatewaySettings(String token, int shards, int maxConcurrency, int sessionStartTotal,
                              int sessionStartRemaining, Duration sessionStartResetAfter, Duration heartbeatInterval,
                              int guildsPerShard, Duration resumeWindow, int enabledPrivilegedIntents,
                              int zlibSplitAbove, int replayCapacity, int ledgerCapacity, Duration identifyWindow,
                              Clock clock) {

    public GatewaySettings {
        if (shards < 1 || maxConcurrency < 1 || guildsPerShard < 0 || replayCapacity < 1 || ledgerCapacity < 1) {
            throw new IllegalArgumentException("shards, max_concurrency, capacities must be positive");
        }
        if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
            throw new IllegalArgumentException("heartbeat interval must be positive: " + heartbeatInterval);
        }
    }

    /**
     * How long the server waits for a heartbeat before closing 4009. The client's first beat may come a
     * whole interval after Hello (jitter) and later ones every interval; 1.5 intervals leave half an interval for
     * network latency and a GC pause without letting a dead client linger.
     */
    public Duration heartbeatTimeout() {
        return heartbeatInterval.multipliedBy(3).dividedBy(2);
    }
}
