package dev.shardgate.proxy.gateway;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A snapshot of one shard for {@code /shards} and {@code gateway.info}.
 *
 * @param latencyMs last heartbeat round trip, or -1 before the first ACK
 * @param reason why the shard is FAILED or last reconnected, or null
 */
public record ShardStatus(int id, ShardState state, long seq, long latencyMs, long identifies, long resumes,
        String reason) {

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
        return node;
    }
}
