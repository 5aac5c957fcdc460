package dev.shardgate.proxy.gateway.inflate;

import java.nio.ByteBuffer;

/**
 * One connection's gateway transport decompression ({@code compress=zlib-stream} or {@code zstd-stream},
 * discord-gateway.md §3.3, §3.4): the whole server-to-client direction is one compressed stream, so an instance
 * lives exactly as long as its websocket and is never shared. Payloads land in an output buffer borrowed for the
 * payload.
 *
 * <p>Not thread-safe: the owner serialises {@link #accept} and {@link #close}.
 */
public interface TransportDecompressor extends AutoCloseable {

    /**
     * Takes one binary websocket message.
     *
     * @return the length of the completed payload, now at the start of {@link #output()}, or -1 while the payload
     *     continues in later messages
     * @throws CorruptStreamException when the bytes are not a valid continuation of this stream or the payload is
     *     larger than allowed; the connection must then be dropped and resumed on a fresh decompressor
     */
    int accept(ByteBuffer message) throws CorruptStreamException;

    /** The output buffer; valid until {@link #payloadTaken} or the next {@link #accept}. */
    byte[] output();

    /**
     * The caller copied the payload out of {@link #output()}: the buffer is let go (back to a shared pool), so a
     * connection holds no heap buffer between payloads.
     */
    void payloadTaken();

    /** Heap bytes held for buffers right now, outside the library's native state (for tests and benchmarks). */
    int heapBufferBytes();

    /** Frees the native state; the instance cannot be used afterwards. */
    @Override
    void close();
}
