package dev.shardgate.proxy.gateway;

/**
 * Where a shard hands its dispatches. Implementations must never block the caller: the shard's thread also
 * handles heartbeat ACKs and commands.
 */
public interface EventSink {
    /**
     * Takes one dispatch. {@code data} is the exact bytes of {@code d} and now belongs to the sink.
     *
     * @return false when the sink is full and did not take it; the shard must then stop reading and let Discord
     *     replay from its last accepted sequence
     */
    boolean offer(int shard, String sessionId, long seq, String type, byte[] data);

    /** Whether a shard that stopped because the sink was full may read again. */
    boolean hasRoom();

    /** Also delivers a GUILD_MEMBERS_CHUNK to whoever asked for it with {@code nonce}; best effort. */
    void publishChunk(int shard, long seq, String nonce, byte[] data);
}
