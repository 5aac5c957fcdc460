package dev.shardgate.proxy.gateway.inflate;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Byte arrays of one size shared by every connection: a decompressor borrows one for a payload and gives it back
 * once the payload was copied out, so an idle shard holds no buffer (1,000 shards held 4–16 MB otherwise). Decoding
 * never blocks, so about one array per carrier thread is out at a time; the pool keeps at most {@code slots} spare
 * ones. Each array travels inside its heap {@link ByteBuffer}, so a decompressor whose library wants a buffer (zstd)
 * does not wrap the array again for every payload. Thread-safe, lock-free, and allocation-free once warm (a slot
 * array rather than a queue of nodes).
 */
final class ScratchPool {
    /** Decompressed payloads: a typical dispatch is 0.5–3 KB. */
    static final ScratchPool PAYLOADS = new ScratchPool(4 * 1024, 16);
    /** The parts of a zlib payload split over several websocket messages (rare). */
    static final ScratchPool SPLIT_PARTS = new ScratchPool(1024, 16);

    private final int size;
    private final AtomicReferenceArray<ByteBuffer> spare;

    ScratchPool(int size, int slots) {
        this.size = size;
        this.spare = new AtomicReferenceArray<>(slots);
    }

    int size() {
        return size;
    }

    /** A heap buffer of this pool's size, its position and limit in an unspecified state. */
    ByteBuffer take() {
        for (int i = 0; i < spare.length(); i++) {
            ByteBuffer b = spare.getAndSet(i, null);
            if (b != null) {
                return b;
            }
        }
        return ByteBuffer.allocate(size);
    }

    /** Takes back a buffer of this pool's size; others, and any beyond the free slots, are left to the GC. */
    void give(ByteBuffer b) {
        if (b.capacity() != size) {
            return;
        }
        for (int i = 0; i < spare.length(); i++) {
            if (spare.get(i) == null && spare.compareAndSet(i, null, b)) {
                return;
            }
        }
    }
}
