package dev.shardgate.protocol;

import java.util.Optional;

/**
 * Discord gateway opcodes (bot API). Numbers used only by Discord's own clients are absent on purpose:
 * an unknown opcode is data to log and skip, never a reason to fail.
 */
public enum Opcode {
    DISPATCH(0),
    HEARTBEAT(1),
    IDENTIFY(2),
    PRESENCE_UPDATE(3),
    VOICE_STATE_UPDATE(4),
    RESUME(6),
    RECONNECT(7),
    REQUEST_GUILD_MEMBERS(8),
    INVALID_SESSION(9),
    HELLO(10),
    HEARTBEAT_ACK(11),
    REQUEST_SOUNDBOARD_SOUNDS(31),
    REQUEST_CHANNEL_INFO(43);

    private static final Opcode[] BY_CODE = new Opcode[44];

    static {
        for (Opcode op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    private final int code;

    Opcode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Optional<Opcode> of(int code) {
        return code >= 0 && code < BY_CODE.length ? Optional.ofNullable(BY_CODE[code]) : Optional.empty();
    }

    /** The ops a worker may send through {@code {prefix}.gateway.send.{shard}} (CONTRACT.md). */
    public boolean isWorkerCommand() {
        return this == PRESENCE_UPDATE || this == VOICE_STATE_UPDATE
                || this == REQUEST_GUILD_MEMBERS || this == REQUEST_SOUNDBOARD_SOUNDS;
    }
}
