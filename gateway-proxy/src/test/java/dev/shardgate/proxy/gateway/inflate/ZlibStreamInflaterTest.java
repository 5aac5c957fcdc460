package dev.shardgate.proxy.gateway.inflate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The worked example of discord-gateway.md §3.3, with its real bytes. */
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
            assertThrows(ZlibStreamInflater.CorruptStreamException.class, () -> inflate(z, ACK_AGAIN));
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
            assertThrows(ZlibStreamInflater.CorruptStreamException.class,
                    () -> z.accept(ByteBuffer.wrap(out, 0, n)));
        }
        try (ZlibStreamInflater z = new ZlibStreamInflater(300_000)) {
            assertEquals(200_000, z.accept(ByteBuffer.wrap(out, 0, n)));
        }
    }
}
