package dev.shardgate.simulator.gateway;

import java.util.Locale;
import java.util.Optional;

/**
 * What a broken {@code resume_gateway_url} does to new connections, so tests can check that a client falls back
 * to the main gateway URL. The names are the control API's path segments.
 */
public enum ResumeFault {
    /** The resume URL works. */
    NONE,
    /** The websocket handshake is refused: the server answers the upgrade request with HTTP 404 and closes. */
    HANDSHAKE_FAILS,
    /** The handshake succeeds, then nothing: no Hello, no answer to anything the client sends. */
    NO_HELLO;

    /** Parses the control API's spelling, e.g. {@code no-hello}. */
    public static Optional<ResumeFault> parse(String name) {
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
