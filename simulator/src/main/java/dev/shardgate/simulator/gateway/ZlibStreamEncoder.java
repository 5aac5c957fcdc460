package dev.shardgate.simulator.gateway;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.Deflater;

/**
 * The server side of {@code compress=zlib-stream} (discord-gateway.md §3.3): one zlib stream per connection,
 * a {@code Z_SYNC_FLUSH} after each payload so every payload ends with {@code 00 00 FF FF}. Optionally splits a
 * compressed payload over several websocket messages so clients have to reassemble it. Owned by the gateway
 * loop thread; {@link #close()} frees the native deflater.
 */
public final class ZlibStreamEncoder implements TransportEncoder {
    private final Deflater deflater = new Deflater();
    private final byte[] chunk = new byte[16 * 1024];
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final int splitAbove;

    /** @param splitAbove the largest websocket message to send; 0 sends each payload as one message */
    public ZlibStreamEncoder(int splitAbove) {
        this.splitAbove = splitAbove;
    }

    @Override
    public List<byte[]> encode(byte[] payload) {
        deflater.setInput(payload);
        out.reset();
        int n;
        do {
            n = deflater.deflate(chunk, 0, chunk.length, Deflater.SYNC_FLUSH);
            out.write(chunk, 0, n);
        } while (n == chunk.length);
        byte[] whole = out.toByteArray();
        if (splitAbove <= 0 || whole.length <= splitAbove) {
            return List.of(whole);
        }
        List<byte[]> parts = new ArrayList<>();
        int from = 0;
        while (from < whole.length) {
            int to = Math.min(whole.length, from + splitAbove);
            if (to < whole.length && endsWithSyncFlush(whole, to)) {
                to--; // a fragment ending in the suffix would look like a whole payload to the client
            }
            parts.add(Arrays.copyOfRange(whole, from, to));
            from = to;
        }
        return parts;
    }

    private static boolean endsWithSyncFlush(byte[] b, int end) {
        return end >= 4 && b[end - 4] == 0 && b[end - 3] == 0 && b[end - 2] == (byte) 0xFF && b[end - 1] == (byte) 0xFF;
    }

    @Override
    public void close() {
        deflater.end();
    }
}
