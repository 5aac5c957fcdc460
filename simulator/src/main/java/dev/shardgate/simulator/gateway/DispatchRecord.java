package dev.shardgate.simulator.gateway;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * One dispatch (op 0) the simulator sent, or queued for replay, on a session: the ledger tests use to check
 * that a stream holds every event exactly once.
 *
 * @param d the exact bytes of {@code d} on the wire
 */
@SuppressWarnings("ArrayRecordComponent") // ledger checks compare fields (seq, dJson()), never records by equals
public record DispatchRecord(Instant at, int shardId, String sessionId, long seq, String type, byte[] d) {
    public String dJson() {
        return new String(d, StandardCharsets.UTF_8);
    }
}
