package dev.shardgate.protocol;

import java.util.Optional;

/**
 * Discord gateway close codes and what to do after each, per discord-gateway.md §13.2.
 * Codes that the docs call reconnectable but that mean "new session" (4003, 4007, 4009) identify directly,
 * which saves the round trip of a resume that would be answered with op 9.
 */
public enum CloseCode {
    UNKNOWN_ERROR(4000, CloseAction.RESUME),
    UNKNOWN_OPCODE(4001, CloseAction.RESUME),
    DECODE_ERROR(4002, CloseAction.RESUME),
    NOT_AUTHENTICATED(4003, CloseAction.IDENTIFY),
    AUTHENTICATION_FAILED(4004, CloseAction.STOP),
    ALREADY_AUTHENTICATED(4005, CloseAction.RESUME),
    INVALID_SEQ(4007, CloseAction.IDENTIFY),
    RATE_LIMITED(4008, CloseAction.RESUME),
    SESSION_TIMED_OUT(4009, CloseAction.IDENTIFY),
    INVALID_SHARD(4010, CloseAction.STOP),
    SHARDING_REQUIRED(4011, CloseAction.STOP),
    INVALID_API_VERSION(4012, CloseAction.STOP),
    INVALID_INTENTS(4013, CloseAction.STOP),
    DISALLOWED_INTENTS(4014, CloseAction.STOP);

    /**
     * The code a client uses to close while keeping its session resumable. Any code other than
     * 1000/1001 does; 4000 is what twilight uses and reads as "unknown error" in Discord's logs.
     */
    public static final int RESUMABLE_CLIENT_CLOSE = 4000;
    /** A client close that ends the session for good: the bot goes offline. */
    public static final int NORMAL_CLOSURE = 1000;

    private final int code;
    private final CloseAction action;

    CloseCode(int code, CloseAction action) {
        this.code = code;
        this.action = action;
    }

    public int code() {
        return code;
    }

    public CloseAction action() {
        return action;
    }

    public static Optional<CloseCode> of(int code) {
        for (CloseCode c : values()) {
            if (c.code == code) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /**
     * The action for a close the server sent (or a dropped socket, code 1006). Unknown codes and a
     * server-sent 1000/1001 resume: a resume costs no identify budget, and a dead session answers it
     * with op 9, which then leads to an identify.
     */
    public static CloseAction actionFor(int code) {
        return of(code).map(CloseCode::action).orElse(CloseAction.RESUME);
    }

    /** A human-readable name for logs, including codes outside the table. */
    public static String describe(int code) {
        return of(code).map(c -> code + " " + c.name()).orElse(Integer.toString(code));
    }
}
