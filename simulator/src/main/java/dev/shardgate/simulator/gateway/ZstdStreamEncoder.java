package dev.shardgate.simulator.gateway;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The server side of {@code compress=zstd-stream} (discord-gateway.md §3.4): one zstd frame per connection that is
 * never ended, flushed ({@code ZSTD_e_flush}) after each payload so that every websocket message decompresses to
 * exactly one whole payload. The first message starts with the frame magic {@code 28 B5 2F FD}. zstd's default
 * level 3; for a stream of unknown length that means a 2 MB window, which each client's decompressor holds.
 * Owned by the gateway loop thread; {@link #close()} frees the native compressor.
 */
public final class ZstdStreamEncoder implements TransportEncoder {
    private static final int LEVEL = 3;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ZstdOutputStreamNoFinalizer zstd;

    public ZstdStreamEncoder() {
        try {
            zstd = new ZstdOutputStreamNoFinalizer(out, LEVEL);
        } catch (IOException e) {
            throw new UncheckedIOException("zstd compressor failed to start", e);
        }
    }

    @Override
    public List<byte[]> encode(byte[] payload) {
        out.reset();
        try {
            zstd.write(payload);
            zstd.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("zstd compression failed", e); // only on a bug: the sink is memory
        }
        return List.of(out.toByteArray());
    }

    @Override
    public void close() {
        try {
            zstd.close();
        } catch (IOException e) {
            throw new UncheckedIOException("zstd compressor failed to close", e);
        }
    }
}
