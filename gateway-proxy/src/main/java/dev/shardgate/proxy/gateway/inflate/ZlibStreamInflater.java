package dev.shardgate.proxy.gateway.inflate;

import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Discord's {@code zlib-stream} transport decompression for one connection (discord-gateway.md §3.3): the whole
 * server-to-client direction is one deflate stream with a sync flush ({@code 00 00 FF FF}) after every payload.
 * A message that ends with that suffix and carries a whole payload (the usual case) is inflated straight from the
 * websocket's buffer; the parts of a payload split over several messages are collected until one ends with it.
 *
 * <p>Memory per connection: the JDK's native inflater (about 7 KB of zlib state plus its 32 KB window, allocated
 * on first use) and nothing on the heap between payloads: the output buffer (4 KB, doubled as a payload needs up to
 * GATEWAY_MAX_FRAME_BYTES) and the buffer for a payload split over messages (1 KB, likewise) are borrowed from
 * {@link ScratchPool}s and let go once the payload is taken ({@link #payloadTaken}). An idle shard holds about
 * 39 KB, all native, where it held 128 KB of heap buffers before, and a big payload is not pinned.
 *
 * <p>Not thread-safe: the owner serialises calls (see {@link TransportDecompressor}).
 */
public final class ZlibStreamInflater implements TransportDecompressor {
    private static final byte[] EMPTY = new byte[0];

    private final Inflater inflater = new Inflater();
    private final ElasticBuffer pending;
    private int pendingLength;
    private final ElasticBuffer output;

    /** @param maxPayloadBytes the largest payload accepted, compressed or inflated; beyond it the stream is broken */
    public ZlibStreamInflater(int maxPayloadBytes) {
        pending = new ElasticBuffer(ScratchPool.SPLIT_PARTS, maxPayloadBytes, "compressed payload");
        output = new ElasticBuffer(ScratchPool.PAYLOADS, maxPayloadBytes, "inflated payload");
    }

    @Override
    public int accept(ByteBuffer message) throws CorruptStreamException {
        payloadTaken();
        int n = message.remaining();
        if (pendingLength == 0 && n >= 4 && message.hasArray()
                && endsWithSyncFlush(message.array(), message.arrayOffset() + message.limit())) {
            int len = inflate(message.array(), message.arrayOffset() + message.position(), n);
            message.position(message.limit());
            return len;
        }
        byte[] buf = pending.ensure((long) pendingLength + n);
        message.get(buf, pendingLength, n);
        pendingLength += n;
        if (!endsWithSyncFlush(buf, pendingLength)) {
            return -1;
        }
        try {
            return inflate(buf, 0, pendingLength);
        } finally {
            pendingLength = 0;
            pending.release();
        }
    }

    private int inflate(byte[] input, int offset, int length) throws CorruptStreamException {
        inflater.setInput(input, offset, length);
        int total = 0;
        try {
            while (true) {
                byte[] out = output.bytes();
                total += inflater.inflate(out, total, out.length - total);
                if (total < out.length) {
                    if (inflater.needsInput()) {
                        return total;
                    }
                    throw new CorruptStreamException(inflater.finished()
                            ? "zlib stream ended although Discord keeps it open" : "zlib stream stalled");
                }
                output.ensure(total + 1L);
            }
        } catch (DataFormatException e) {
            throw new CorruptStreamException("corrupt zlib data: " + e.getMessage());
        } finally {
            inflater.setInput(EMPTY); // do not keep the websocket's message reachable until the next payload
        }
    }

    @Override
    public byte[] output() {
        return output.bytes();
    }

    @Override
    public void payloadTaken() {
        output.release();
    }

    @Override
    public int heapBufferBytes() {
        return pending.capacity() + output.capacity();
    }

    private static boolean endsWithSyncFlush(byte[] b, int end) {
        return end >= 4 && b[end - 4] == 0 && b[end - 3] == 0 && b[end - 2] == (byte) 0xFF && b[end - 1] == (byte) 0xFF;
    }

    @Override
    public void close() {
        inflater.end();
    }
}
