package dev.shardgate.proxy.gateway.inflate;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A byte array that one connection uses for a payload. It is borrowed from a {@link ScratchPool} when a payload
 * starts, doubles as the payload needs (up to a hard limit, past which the stream counts as broken), and is let go
 * when the payload has been taken: an array of the pool's size goes back to the pool, a grown one (an occasional big
 * GUILD_CREATE) to the GC. So a connection holds a buffer only while a payload passes through it.
 *
 * <p>Not thread-safe: used by the owning decompressor only.
 */
final class ElasticBuffer {
    private static final ByteBuffer NONE = ByteBuffer.allocate(0);

    private final ScratchPool pool;
    private final int maxCapacity;
    private final String what;
    private ByteBuffer buffer = NONE;

    /** @param what names the contents in the error for a payload over {@code maxCapacity} */
    ElasticBuffer(ScratchPool pool, int maxCapacity, String what) {
        if (maxCapacity <= 0) {
            throw new IllegalArgumentException("maxCapacity must be positive");
        }
        this.pool = pool;
        this.maxCapacity = maxCapacity;
        this.what = what;
    }

    /** The current array; replaced by {@link #ensure} and {@link #release}. */
    @SuppressWarnings("ByteBufferBackingArray") // every buffer here is a whole array (allocate, wrap): offset 0
    byte[] bytes() {
        return buffer.array();
    }

    /**
     * The current array as a heap buffer whose {@code array()} is {@link #bytes()}: the caller may move its position
     * and limit. Replaced together with the array.
     */
    ByteBuffer buffer() {
        return buffer;
    }

    /** The bytes held at the moment (0 between payloads). */
    int capacity() {
        return buffer.capacity();
    }

    /**
     * Makes room for {@code needed} bytes, keeping the current contents.
     *
     * @throws OversizedPayloadException when {@code needed} is over the hard limit ({@code GATEWAY_MAX_FRAME_BYTES})
     */
    @SuppressWarnings("ByteBufferBackingArray") // every buffer here is a whole array (allocate, wrap): offset 0
    byte[] ensure(long needed) throws CorruptStreamException {
        byte[] bytes = buffer.array();
        if (needed <= bytes.length) {
            return bytes;
        }
        if (needed > maxCapacity) {
            throw new OversizedPayloadException(what + " larger than " + maxCapacity
                    + " bytes (GATEWAY_MAX_FRAME_BYTES)");
        }
        if (bytes.length == 0 && needed <= pool.size()) {
            buffer = pool.take();
            return buffer.array();
        }
        long capacity = Math.max(pool.size(), bytes.length);
        while (capacity < needed) {
            capacity *= 2;
        }
        ByteBuffer grown = ByteBuffer.wrap(Arrays.copyOf(bytes, (int) Math.min(capacity, maxCapacity)));
        pool.give(buffer);
        buffer = grown;
        return grown.array();
    }

    /** The contents are no longer needed: the array goes back to the pool, or to the GC when it grew. */
    void release() {
        pool.give(buffer);
        buffer = NONE;
    }
}
