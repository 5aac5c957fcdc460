package dev.shardgate.proxy.fleet;

import java.util.Optional;

/** Which shards this process may connect and publish for right now. Safe to call from any thread. */
public interface ShardLeases {
    /** True while this process holds the shard's lease and its local deadline has not passed. */
    boolean holds(int shard);

    /** The instance that owns the shard as last seen: this one, another one, or empty when nobody is known to. */
    Optional<String> ownerOf(int shard);
}
