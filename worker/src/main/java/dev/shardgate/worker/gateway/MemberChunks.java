package dev.shardgate.worker.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.stream.StreamSupport;

/**
 * The GUILD_MEMBERS_CHUNK events answering one request guild members, in chunk order.
 *
 * @param complete whether every chunk ({@code chunk_count}) arrived before the timeout
 */
public record MemberChunks(String nonce, List<JsonNode> chunks, boolean complete) {
    public MemberChunks {
        chunks = List.copyOf(chunks);
    }

    /** Every member of every chunk. */
    public List<JsonNode> members() {
        return chunks.stream().flatMap(c -> StreamSupport.stream(c.path("members").spliterator(),
                false)).toList();
    }
}
