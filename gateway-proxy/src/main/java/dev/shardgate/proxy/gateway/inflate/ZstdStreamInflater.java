package dev.shardgate.proxy.gateway.inflate;

import com.github.luben.zstd.ZstdBufferDecompressingStreamNoFinalizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * Discord's {@code zstd-stream} transport decompression for one connection (discord-gateway.md §3.4): the whole
 * server-to-client direction is one zstd frame that stays open, and every websocket message is flushed so that it
 * decompresses to one whole payload. One streaming decompression context (zstd-jni, native) per connection is fed
 * each message until all of it is consumed and the output buffer is no longer filled: what it produced is the
 * message's payload. zstd marks no flush in the stream, so the message is the unit, as Discord promises. A message
 * that ends inside a compressed block yields nothing yet (the context keeps the partial block) and gives -1, so
 * that block's payload completes with the next message; a payload split anywhere else (inside a stored block,
 * which zstd passes on as it arrives, or between blocks) reaches the envelope reader in pieces, which it skips as
 * malformed. Discord does not split messages (discord-gateway.md §3.4).
 *
 * <p>Memory per connection: the native context (about 95 KB of tables plus a 128 KB input block buffer) and its
 * window buffer, whose size the server's frame header sets once per connection (the window plus 128 KB; 2 MB at
 * zstd's default level 3 for a stream, which is what the simulator sends). The window is refused above
 * {@value #WINDOW_LOG_MAX} (8 MB, the largest the zstd format asks decoders to support), so a misbehaving server
 * cannot make each connection reserve zstd's default limit of 128 MB. On the heap, nothing between payloads: the
 * output buffer is borrowed for each payload like {@link ZlibStreamInflater}'s. No input buffer: the context
 * consumes each message.
 *
 * <p>Not thread-safe: the owner serialises calls (see {@link TransportDecompressor}).
 */
public final class ZstdStreamInflater implements TransportDecompressor {
    static final int WINDOW_LOG_MAX = 23;

    private final MessageStream stream = new MessageStream();
    private final ElasticBuffer output;

    /** @param maxPayloadBytes the largest decompressed payload accepted; beyond it the stream is broken */
    public ZstdStreamInflater(int maxPayloadBytes) {
        output = new ElasticBuffer(ScratchPool.PAYLOADS, maxPayloadBytes, "decompressed payload");
        try {
            stream.setLongMax(WINDOW_LOG_MAX);
        } catch (IOException e) {
            stream.close();
            throw new UncheckedIOException("zstd refused a window limit of 2^" + WINDOW_LOG_MAX, e);
        }
    }

    @Override
    public int accept(ByteBuffer message) throws CorruptStreamException {
        payloadTaken();
        ByteBuffer input = message.hasArray() ? message : ByteBuffer.allocate(message.remaining()).put(message).flip();
        stream.feed(input);
        int total = 0;
        try {
            while (true) {
                byte[] out = output.ensure(total + 1L);
                total += stream.read(output.buffer().limit(out.length).position(total));
                if (total < out.length && !input.hasRemaining()) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new CorruptStreamException("corrupt zstd data: " + e.getMessage());
        }
        if (!stream.hasRemaining()) {
            throw new CorruptStreamException("zstd frame ended although Discord keeps it open");
        }
        return total == 0 ? -1 : total;
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
        return output.capacity();
    }

    @Override
    public void close() {
        stream.close();
    }

    /** zstd-jni's heap-buffer stream, given each websocket message as its source in turn. */
    private static final class MessageStream extends ZstdBufferDecompressingStreamNoFinalizer {
        MessageStream() {
            super(ByteBuffer.allocate(0));
        }

        void feed(ByteBuffer message) {
            source = message;
        }
    }
}
