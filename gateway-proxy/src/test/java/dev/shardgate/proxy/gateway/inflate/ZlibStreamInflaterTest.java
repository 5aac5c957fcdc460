package dev.shardgate.proxy.gateway.inflate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.simulator.gateway.ZlibStreamEncoder;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The worked example of discord-gateway.md §3.3, with its real bytes, and payloads split over messages. */
class ZlibStreamInflaterTest {
    private static final byte[] HELLO = hex("789caa56ca2f50b23234d0514a51b2aa56ca484d2c2a494a4d2c89cfcc2b492d2a4bcc51b2"
            + "3231343235a8d5512a56b2ca2bcdc9d1512a81306a01000000ffff");
    private static final byte[] ACK = hex("aa86e83504eb854861a801000000ffff");
    private static final byte[] ACK_AGAIN = hex("22460d000000ffff");

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }

    private static String inflate(ZlibStreamInflater z, byte[] msg) throws Exception {
        int n = z.accept(ByteBuffer.wrap(msg));
        return n < 0 ? null : new String(z.output(), 0, n, StandardCharsets.UTF_8);
    }

    @Test
    void decodesThreePayloadsOfOneStream() throws Exception {
        try (ZlibStreamInflater z = new ZlibStreamInflater(1 << 20)) {
            assertEquals("{\"op\":10,\"d\":{\"heartbeat_interval\":41250},\"s\":null,\"t\":null}", inflate(z, HELLO));
            assertEquals("{\"op\":11,\"d\":null,\"s\":null,\"t\":null}", inflate(z, ACK));
            assertEquals("{\"op\":11,\"d\":null,\"s\":null,\"t\":null}", inflate(z, ACK_AGAIN));
        }
    }

    @Test
    void waitsForTheSyncFlushSuffixAcrossSplitMessages() throws Exception {
        try (ZlibStreamInflater z = new ZlibStreamInflater(1 << 20)) {
            assertEquals(null, inflate(z, java.util.Arrays.copyOfRange(HELLO, 0, 40)));
            assertEquals("{\"op\":10,\"d\":{\"heartbeat_interval\":41250},\"s\":null,\"t\":null}",
                    inflate(z, java.util.Arrays.copyOfRange(HELLO, 40, HELLO.length)));
        }
    }

    @Test
    void aContinuationOnAFreshInflaterIsCorrupt() {
        try (ZlibStreamInflater z = new ZlibStreamInflater(1 << 20)) {
            assertThrows(CorruptStreamException.class, () -> inflate(z, ACK_AGAIN));
        }
    }

    @Test
    void refusesPayloadsLargerThanAllowed() throws Exception {
        byte[] big = new byte[200_000];
        java.util.zip.Deflater d = new java.util.zip.Deflater();
        d.setInput(big);
        byte[] out = new byte[300_000];
        int n = d.deflate(out, 0, out.length, java.util.zip.Deflater.SYNC_FLUSH);
        d.end();
        try (ZlibStreamInflater z = new ZlibStreamInflater(100_000)) {
            assertThrows(CorruptStreamException.class,
                    () -> z.accept(ByteBuffer.wrap(out, 0, n)));
        }
        try (ZlibStreamInflater z = new ZlibStreamInflater(300_000)) {
            assertEquals(200_000, z.accept(ByteBuffer.wrap(out, 0, n)));
        }
    }

    @Test
    void aPayloadSplitOverManyMessagesIsCollectedAndItsBufferGivenBack() throws Exception {
        StringBuilder sb = new StringBuilder("{\"op\":0,\"d\":\"");
        java.util.SplittableRandom random = new java.util.SplittableRandom(1);
        while (sb.length() < 500_000) {
            sb.append(Long.toString(random.nextLong(), 36));
        }
        byte[] big = sb.append("\"}").toString().getBytes(StandardCharsets.UTF_8);
        try (ZlibStreamEncoder encoder = new ZlibStreamEncoder(16 * 1024);
             ZlibStreamInflater z = new ZlibStreamInflater(1 << 20)) {
            java.util.List<byte[]> parts = encoder.encode(big);
            assertTrue(parts.size() > 10, "split into " + parts.size());
            int n = -1;
            for (byte[] part : parts) {
                assertEquals(-1, n, "complete before the last part");
                n = z.accept(ByteBuffer.wrap(part));
            }
            assertArrayEquals(big, java.util.Arrays.copyOf(z.output(), n));
            assertEquals(512 * 1024, z.heapBufferBytes(), "the split buffer went back at once; the output is still read");
            assertEquals("{\"op\":11,\"d\":null,\"s\":null,\"t\":null}",
                    inflate(z, encoder.encode("{\"op\":11,\"d\":null,\"s\":null,\"t\":null}"
                            .getBytes(StandardCharsets.UTF_8)).get(0)));
            assertEquals(4096, z.heapBufferBytes());
        }
    }
}
