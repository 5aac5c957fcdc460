package dev.shardgate.simulator.events;

/**
 * A generated dispatch, before it gets a session and a sequence.
 *
 * @param guildId the guild it belongs to (routes it to a shard), or 0 for none (shard 0)
 * @param intent the intent bit a session needs to receive it, or 0 for events every session gets
 * @param d the payload's {@code d}
 * @param dWithoutContent {@code d} as sessions without MESSAGE_CONTENT see it, or null if the same
 */
@SuppressWarnings("ArrayRecordComponent") // payload bytes handed on as they are; events are never compared or hashed
public record SimEvent(String type, long guildId, int intent, byte[] d, byte[] dWithoutContent) {
}
