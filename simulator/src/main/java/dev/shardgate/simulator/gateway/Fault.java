package dev.shardgate.simulator.gateway;

import java.util.Locale;
import java.util.Optional;

/** The faults the simulator can inject on a shard's connections; the names are the control API's path segments. */
public enum Fault {
    /** Stop ACKing heartbeats (op 11), so the client sees a zombied connection. */
    ZOMBIE,
    /** Drop the TCP connection without a close frame; the session stays resumable. */
    DROP,
    /** Close with a given code; codes whose action is not "resume" also end the session. */
    CLOSE,
    /** Send a text that is not JSON. */
    GARBAGE,
    /** Send bytes that break the compressed stream, zlib or zstd (plain text connections get garbage instead). */
    CORRUPT_ZLIB,
    /** Send op 7 Reconnect; the connection is dropped 5 s later if the client keeps it. */
    RECONNECT,
    /** Send op 9 {@code true}: the session may be resumed. */
    INVALID_SESSION_RESUMABLE,
    /** Send op 9 {@code false} and end the session. */
    INVALID_SESSION,
    /** End the session silently, so the next resume is answered with op 9 {@code false}. */
    INVALIDATE_SESSION,
    /** Stop sending anything (dispatches still queue for replay). */
    STALL,
    /**
     * Stop sending dispatches (they still queue for replay) while heartbeats keep being ACKed: a connection that is
     * alive but silent, which only a client watching its traffic notices.
     */
    MUTE,
    /** Send op 1: the client must heartbeat now. */
    REQUEST_HEARTBEAT,
    /** Undo ZOMBIE, STALL and MUTE. */
    HEAL;

    /** Parses the control API's spelling, e.g. {@code corrupt-zlib}. */
    public static Optional<Fault> parse(String name) {
        try {
            return Optional.of(valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_')));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    public String pathName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
