package dev.shardgate.proxy.gateway.inflate;

import java.util.Arrays;

/**
 * A byte array that one connection reuses for its payloads. It is allocated on first use at a small initial size,
 * doubles as a payload needs (up to a hard limit, past which the stream counts as broken), and is given back once
 * it grew past {@code retainLimit}: a shard keeps what its usual payloads need, while one multi-megabyte
 * GUILD_CREATE costs a few copies while it grows instead of pinning megabytes per shard for the rest of the
 * connection.
 *
 * <p>Not thread-safe: used by the owning decompressor only.
 */
final class ElasticBuffer {
    private static final byte[] NONE = new byte[0];

    private final int initialCapacity;
    private final int retainLimit;
    private final int maxCapacity;
    private final String what;
    private byte[] bytes = NONE;

    /** @param what names the contents in the error for a payload over {@code maxCapacity} */
    ElasticBuffer(int initialCapacity, int retainLimit, int maxCapacity, String what) {
        if (initialCapacity <= 0 || retainLimit < initialCapacity || maxCapacity <= 0) {
            throw new IllegalArgumentException("capacities must be positive and retainLimit >= initialCapacity");
        }
        this.initialCapacity = initialCapacity;
        this.retainLimit = retainLimit;
        this.maxCapacity = maxCapacity;
        this.what = what;
    }

    /** The current array; replaced by {@link #ensure} and {@link #release}. */
    byte[] bytes() {
        return bytes;
    }

    /** The bytes held at the moment (0 before first use and after a release). */
    int capacity() {
        return bytes.length;
    }

    /**
     * Makes room for {@code needed} bytes, keeping the current contents.
     *
     * @throws OversizedPayloadException when {@code needed} is over the hard limit ({@code GATEWAY_MAX_FRAME_BYTES})
     */
    byte[] ensure(long needed) throws CorruptStreamException {
        if (needed <= bytes.length) {
            return bytes;
        }
        if (needed > maxCapacity) {
            throw new OversizedPayloadException(what + " larger than " + maxCapacity
                    + " bytes (GATEWAY_MAX_FRAME_BYTES)");
        }
        long capacity = Math.max(initialCapacity, bytes.length);
        while (capacity < needed) {
            capacity *= 2;
        }
        bytes = Arrays.copyOf(bytes, (int) Math.min(capacity, maxCapacity));
        return bytes;
    }

    /** The contents are no longer needed: a buffer grown past the retain limit goes back to the heap. */
    void release() {
        if (bytes.length > retainLimit) {
            bytes = NONE;
        }
    }
}
