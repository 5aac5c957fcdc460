package dev.shardgate.proxy.publish;

import dev.shardgate.protocol.EventHeaders;

/**
 * One dispatch from the moment a shard hands it over until it is settled. Immutable, except for the name of the
 * object that holds its body once that body went to the object store: set by the publisher's loop thread before
 * the event is queued again, read by whichever thread publishes it after.
 */
final class BufferedEvent {
    /** When it was offered, across all shards; a shard offers its events in sequence order. */
    final long order;
    final int shard;
    final String sessionId;
    final long seq;
    final String type;
    final byte[] data;
    final long offeredAtMillis;
    /** The same moment on the monotonic clock, for the event path's timers. */
    final long offeredAtNanos = System.nanoTime();
    private volatile String objectName;

    BufferedEvent(long order, int shard, String sessionId, long seq, String type, byte[] data, long offeredAtMillis) {
        this.order = order;
        this.shard = shard;
        this.sessionId = sessionId;
        this.seq = seq;
        this.type = type;
        this.data = data;
        this.offeredAtMillis = offeredAtMillis;
    }

    /** {@code Nats-Msg-Id}, also the name of its body's object when it has one. */
    String messageId() {
        return EventHeaders.messageId(shard, sessionId, seq);
    }

    /** The object holding the body, or null while the body travels in the message. */
    String objectName() {
        return objectName;
    }

    void bodyStoredAs(String name) {
        this.objectName = name;
    }

    @Override
    public String toString() {
        // escaped: a type with a line break must not forge log lines
        return "shard " + shard + " seq " + seq + " " + EventHeaders.eventValue(type);
    }
}
