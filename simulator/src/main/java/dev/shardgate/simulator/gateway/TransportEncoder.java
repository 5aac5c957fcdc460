package dev.shardgate.simulator.gateway;

import java.util.List;

/**
 * The server side of a gateway transport compression for one connection (discord-gateway.md §3.3, §3.4): the
 * whole server-to-client direction is one compressed stream, flushed after every payload. Owned by the gateway
 * loop thread; {@link #close()} frees the native state. Public so that benchmarks compress exactly as the
 * simulator does.
 */
public interface TransportEncoder extends AutoCloseable {

    /**
     * The encoder for a gateway URL's {@code compress} value, or null for none.
     *
     * @param zlibSplitAbove for zlib-stream, the largest websocket message to send (0 = never split)
     * @throws IllegalArgumentException for a value Discord does not know
     */
    static TransportEncoder forCompress(String compress, int zlibSplitAbove) {
        return switch (compress) {
            case "" -> null;
            case "zlib-stream" -> new ZlibStreamEncoder(zlibSplitAbove);
            case "zstd-stream" -> new ZstdStreamEncoder();
            default -> throw new IllegalArgumentException("unknown compress value '" + compress + "'");
        };
    }

    /** Compresses one payload; the result is the websocket messages to send, in order. */
    List<byte[]> encode(byte[] payload);

    @Override
    void close();
}
