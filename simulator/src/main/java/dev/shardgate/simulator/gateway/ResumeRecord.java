package dev.shardgate.simulator.gateway;

import java.time.Instant;

/**
 * One Resume (op 6) the simulator received.
 *
 * @param at when the websocket server read it off the socket
 * @param shardId the resumed session's shard, or -1 when the session was unknown
 * @param replayed how many dispatches were replayed before RESUMED
 */
public record ResumeRecord(Instant at, int shardId, String sessionId, long seq, Endpoint endpoint, Outcome outcome,
                           int replayed) {
    public enum Outcome {
        /** Missed dispatches replayed, then RESUMED. */
        RESUMED,
        /** Unknown, expired or invalidated session: answered op 9 {@code false}. */
        INVALID_SESSION,
        /** A {@code seq} the session never sent: closed 4007. */
        INVALID_SEQ,
        /** Bad token: closed 4004. */
        AUTHENTICATION_FAILED
    }
}
