package dev.shardgate.proxy.gateway;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * A snapshot of one shard for {@code /shards}, {@code gateway.info} and the status page.
 *
 * @param latencyMs last heartbeat round trip, or -1 before the first ACK
 * @param reason why the shard is FAILED or last reconnected, or null
 * @param owner the instance that owns the shard's lease as last seen (this one or another), or null when none is
 *     known to
 * @param leaseHeld whether this instance holds the shard's lease
 * @param events dispatches received and handed to the publisher since the process started (the status page turns
 *     two readings into events/s)
 * @param lastResumedAt when a resume last succeeded (RESUMED) here, or null if none has
 */
public record ShardStatus(int id, ShardState state, long seq, long latencyMs, long identifies, long resumes,
        String reason, String owner, boolean leaseHeld, long events, Instant lastResumedAt) {

    /**
     * Events flow for this shard: here, or at the other instance that owns it while this one waits. A shard whose
     * lease this instance has just taken is not served until it is live here.
     */
    public boolean isServed() {
        return state.isLive() || (state == ShardState.AWAITING_LEASE && owner != null && !leaseHeld);
    }

    /** The CONTRACT.md shape: {@code {"id", "state", "seq", "latency_ms", "identifies", "resumes"}}, plus reason. */
    public ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode()
                .put("id", id)
                .put("state", state.name())
                .put("seq", seq)
                .put("latency_ms", latencyMs)
                .put("identifies", identifies)
                .put("resumes", resumes);
        if (reason != null) {
            node.put("reason", reason);
        }
        if (owner != null) {
            node.put("owner", owner);
        }
        return node;
    }
}
