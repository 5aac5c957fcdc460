package dev.shardgate.worker.route;

/**
 * Where a shard's event stream stands: the gateway session and the sequence {@code s} within it. Sequences compare
 * only within one session (a new session starts again at 1).
 *
 * @param session the Discord session id from the event's {@code Nats-Msg-Id}, or empty when unknown
 * @param seq the gateway sequence, or -1 when unknown
 */
public record SeqPosition(String session, long seq) {
    public static final SeqPosition NONE = new SeqPosition("", -1);

    /** The position of an event from its {@code Nats-Msg-Id} ({@code {shard}:{session_id}:{seq}}) and seq header. */
    public static SeqPosition of(String messageId, long seq) {
        if (messageId == null) {
            return new SeqPosition("", seq);
        }
        int first = messageId.indexOf(':');
        int last = messageId.lastIndexOf(':');
        return new SeqPosition(first >= 0 && last > first ? messageId.substring(first + 1, last) : "", seq);
    }

    /** Whether {@code next}, seen after this, went backwards: same known session, a lower seq. */
    public boolean wentBackTo(SeqPosition next) {
        return !session.isEmpty() && session.equals(next.session()) && seq >= 0 && next.seq() >= 0 && next.seq() < seq;
    }
}
