package dev.shardgate.proxy.gateway.inflate;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Discord's {@code zlib-stream} transport decompression for one connection (discord-gateway.md §3.3): the whole
 * server-to-client direction is one deflate stream with a sync flush ({@code 00 00 FF FF}) after every payload.
 * Messages are buffered until one ends with that suffix, then inflated into an output buffer that is reused for
 * every payload of the connection. Never share an instance between connections.
 *
 * <p>Not thread-safe: used only by the owning shard's thread.
 */
public final class ZlibStreamInflater implements AutoCloseable {
    private static final int INITIAL_CAPACITY = 64 * 1024;

    private final Inflater inflater = new Inflater();
    private final int maxPayloadBytes;
    private byte[] pending = new byte[INITIAL_CAPACITY];
    private int pendingLength;
    private byte[] output = new byte[INITIAL_CAPACITY];

    /** @param maxPayloadBytes the largest inflated payload accepted; beyond it the stream is treated as broken */
    public ZlibStreamInflater(int maxPayloadBytes) {
        this.maxPayloadBytes = maxPayloadBytes;
    }

    /**
     * Takes one binary WebSocket message.
     *
     * @return the length of the completed payload, now at the start of {@link #output()}, or -1 while the payload
     *     continues in later messages
     * @throws CorruptStreamException when the bytes are not a valid continuation of this stream or the payload is
     *     larger than allowed; the connection must then be dropped and resumed on a fresh inflater
     */
    public int accept(ByteBuffer message) throws CorruptStreamException {
        int n = message.remaining();
        if (pendingLength + n > maxPayloadBytes) {
            throw new CorruptStreamException("compressed payload exceeds " + maxPayloadBytes + " bytes");
        }
        ensurePending(pendingLength + n);
        message.get(pending, pendingLength, n);
        pendingLength += n;
        if (!endsWithSyncFlush()) {
            return -1;
        }
        inflater.setInput(pending, 0, pendingLength);
        int total = 0;
        try {
            while (true) {
                if (total == output.length) {
                    if (output.length >= maxPayloadBytes) {
                        throw new CorruptStreamException("inflated payload exceeds " + maxPayloadBytes + " bytes");
                    }
                    output = Arrays.copyOf(output, (int) Math.min((long) output.length * 2, maxPayloadBytes));
                }
                int k = inflater.inflate(output, total, output.length - total);
                total += k;
                if (k == 0 && inflater.needsInput()) {
                    break;
                }
                if (k == 0 && total < output.length) {
                    throw new CorruptStreamException(inflater.finished()
                            ? "zlib stream ended although Discord keeps it open" : "zlib stream stalled");
                }
            }
        } catch (DataFormatException e) {
            throw new CorruptStreamException("corrupt zlib data: " + e.getMessage());
        } finally {
            pendingLength = 0;
        }
        return total;
    }

    /** The reused output buffer; valid until the next {@link #accept}. */
    public byte[] output() {
        return output;
    }

    private boolean endsWithSyncFlush() {
        int n = pendingLength;
        return n >= 4 && pending[n - 4] == 0 && pending[n - 3] == 0 && pending[n - 2] == (byte) 0xFF
                && pending[n - 1] == (byte) 0xFF;
    }

    private void ensurePending(int needed) {
        if (needed > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(needed, pending.length * 2));
        }
    }

    @Override
    public void close() {
        inflater.end();
    }

    /** The connection's compressed stream cannot be decoded any further. */
    public static final class CorruptStreamException extends Exception {
        private static final long serialVersionUID = 1L;

        public CorruptStreamException(String message) {
            super(message);
        }
    }
}
