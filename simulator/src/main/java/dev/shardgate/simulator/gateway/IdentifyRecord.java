package dev.shardgate.simulator.gateway;

import java.time.Instant;

/**
 * One Identify (op 2) the simulator received, and what it did with it.
 *
 * @param at when the websocket server read it off the socket; the identify buckets go by this instant
 * @param shardId the requested shard, or -1 when {@code shard} was malformed (then {@code shardCount} and
 *     {@code bucket} are -1 too)
 */
public record IdentifyRecord(Instant at, int shardId, int shardCount, int bucket, Outcome outcome) {
    public enum Outcome {
        /** A session started (READY sent). */
        ACCEPTED,
        /** The bucket was used within 5 s: answered op 9 {@code false}. */
        CONCURRENCY_LIMITED,
        /** Closed with a close code (bad token, shard, intents, second identify). */
        REJECTED,
        /** No session starts were left: every session ended and the token was reset. */
        TOKEN_RESET
    }
}
