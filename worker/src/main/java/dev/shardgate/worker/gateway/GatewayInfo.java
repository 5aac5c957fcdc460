package dev.shardgate.worker.gateway;

import java.util.List;

/** The answer of {@code {prefix}.gateway.info}: the bot's total shard count and the answering proxy's shards. */
public record GatewayInfo(int shardCount, List<Integer> shards) {
    public GatewayInfo {
        shards = List.copyOf(shards);
    }
}
