package dev.shardgate.proxy.fleet;

import dev.shardgate.proxy.gateway.Session;

/** Where a shard's session stands: resumable at {@code session} from {@code seq}, every event up to it stored. */
public record Checkpoint(int shard, Session session, long seq) {
}
