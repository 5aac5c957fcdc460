package dev.shardgate.protocol;

/** Header names of the event messages (CONTRACT.md). */
public final class EventHeaders {
    public static final String SHARD = "Discord-Shard";
    public static final String SEQ = "Discord-Seq";
    public static final String EVENT = "Discord-Event";
    /** JetStream's de-duplication header. */
    public static final String MSG_ID = "Nats-Msg-Id";

    private EventHeaders() {
    }

    /** {@code {shard}:{session_id}:{seq}}: a replay after a resume gets the same id and is stored once. */
    public static String messageId(int shard, String sessionId, long seq) {
        return shard + ":" + sessionId + ":" + seq;
    }
}
