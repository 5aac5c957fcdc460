package dev.shardgate.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;

/** The streaming JSON factory of code that runs on virtual threads (a shard's, a connection's). */
public final class Json {
    /**
     * Buffers come from one shared bounded pool: Jackson's default pool is per thread, and a shard's threads are
     * long-lived virtual threads, so each would keep about 8 KB of parser and generator buffers for the few payloads
     * it reads or writes (8 MB for 1,000 shards).
     */
    public static final JsonFactory FACTORY = JsonFactory.builder()
            .recyclerPool(JsonRecyclerPools.sharedBoundedPool()).build();

    private Json() {
    }
}
