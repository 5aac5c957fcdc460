package dev.shardgate.proxy.gateway.inflate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import dev.shardgate.simulator.gateway.ZstdStreamEncoder;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** What is particular to zstd-stream (the rest is in {@link TransportDecompressorTest}). */
class ZstdStreamInflaterTest {
    private static final byte[] HELLO = "{\"op\":10,\"d\":{\"heartbeat_interval\":41250},\"s\":null,\"t\":null}"
            .getBytes(StandardCharsets.UTF_8);
    private static final byte[] ACK = "{\"op\":11,\"d\":null,\"s\":null,\"t\":null}".getBytes(StandardCharsets.UTF_8);

    private static String text(TransportDecompressor d, int n) {
        return new String(d.output(), 0, n, StandardCharsets.UTF_8);
    }

    @Test
    void aMessageEndingInsideACompressedBlockWaitsForTheRest() throws Exception {
        StringBuilder sb = new StringBuilder("{\"op\":0,\"t\":\"GUILD_MEMBERS_CHUNK\",\"d\":[");
        for (int i = 0; i < 100; i++) {
            sb.append("{\"user\":{\"id\":\"").append(1194611598950412289L + i).append("\",\"bot\":false}},");
        }
        byte[] chunk = sb.append("0]}").toString().getBytes(StandardCharsets.UTF_8);
        try (ZstdStreamEncoder encoder = new ZstdStreamEncoder();
             ZstdStreamInflater z = new ZstdStreamInflater(1 << 20)) {
            assertEquals(new String(HELLO, StandardCharsets.UTF_8),
                    text(z, z.accept(ByteBuffer.wrap(encoder.encode(HELLO).get(0)))));
            byte[] message = encoder.encode(chunk).get(0);
            assertTrue(message.length < chunk.length / 4, "compressed, not stored raw");
            assertEquals(-1, z.accept(ByteBuffer.wrap(message, 0, message.length / 2)));
            int n = z.accept(ByteBuffer.wrap(message, message.length / 2, message.length - message.length / 2));
            assertArrayEquals(chunk, Arrays.copyOf(z.output(), n));
            assertEquals(new String(ACK, StandardCharsets.UTF_8),
                    text(z, z.accept(ByteBuffer.wrap(encoder.encode(ACK).get(0)))));
        }
    }

    @Test
    void aDirectBufferFromTheWebsocketIsDecodedToo() throws Exception {
        try (ZstdStreamEncoder encoder = new ZstdStreamEncoder();
             ZstdStreamInflater z = new ZstdStreamInflater(1 << 20)) {
            byte[] hello = encoder.encode(HELLO).get(0);
            ByteBuffer direct = ByteBuffer.allocateDirect(hello.length).put(hello).flip();
            int n = z.accept(direct);
            assertArrayEquals(HELLO, Arrays.copyOf(z.output(), n));
        }
    }

    @Test
    void aFrameThatEndsIsABrokenStream() {
        try (ZstdStreamInflater z = new ZstdStreamInflater(1 << 20)) {
            CorruptStreamException e = assertThrows(CorruptStreamException.class,
                    () -> z.accept(ByteBuffer.wrap(Zstd.compress(HELLO))));
            assertEquals("zstd frame ended although Discord keeps it open", e.getMessage());
        }
    }

    @Test
    void aWindowOver8MegabytesIsRefusedBeforeItIsAllocated() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZstdOutputStreamNoFinalizer zstd = new ZstdOutputStreamNoFinalizer(out, 3)) {
            zstd.setWindowLog(ZstdStreamInflater.WINDOW_LOG_MAX + 1);
            zstd.write(HELLO);
            zstd.flush();
            byte[] first = out.toByteArray();
            try (ZstdStreamInflater z = new ZstdStreamInflater(1 << 20)) {
                CorruptStreamException e = assertThrows(CorruptStreamException.class,
                        () -> z.accept(ByteBuffer.wrap(first)));
                assertTrue(e.getMessage().contains("memory"), e.getMessage());
            }
        }
        out.reset();
        try (ZstdOutputStreamNoFinalizer zstd = new ZstdOutputStreamNoFinalizer(out, 3)) {
            zstd.setWindowLog(ZstdStreamInflater.WINDOW_LOG_MAX);
            zstd.write(HELLO);
            zstd.flush();
            byte[] first = out.toByteArray();
            try (ZstdStreamInflater z = new ZstdStreamInflater(1 << 20)) {
                int n = z.accept(ByteBuffer.wrap(first));
                assertArrayEquals(HELLO, Arrays.copyOf(z.output(), n));
            }
        }
    }
}
