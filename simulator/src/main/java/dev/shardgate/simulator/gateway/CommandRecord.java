package dev.shardgate.simulator.gateway;

import java.time.Instant;

/**
 * One payload a client sent, as received.
 *
 * @param at when the websocket server read it off the socket
 * @param shardId the connection's shard, or -1 before it identified or resumed
 * @param op the opcode, or -1 when the payload was not valid JSON with an integer {@code op}
 * @param json the payload text as received
 */
public record CommandRecord(Instant at, int shardId, int op, String json) {
}
