package dev.shardgate.proxy.gateway.inflate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.proxy.config.Compression;
import dev.shardgate.simulator.events.EventFactory;
import dev.shardgate.simulator.gateway.TransportEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What both transport decompressors promise, on streams the simulator's encoders make the way Discord does:
 * payloads come out byte for byte, the output buffer starts small, is given back after a big payload, and is held only while a payload passes, and a
 * payload over GATEWAY_MAX_FRAME_BYTES or a corrupt byte breaks the stream with a clear error.
 */
class TransportDecompressorTest {
    private static final int MAX = 16 << 20;
    /** Breaks both streams mid-connection (the simulator's corrupt-zlib fault sends the same bytes). */
    private static final byte[] CORRUPT = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0, 0, 0, (byte) 0xFF, (byte) 0xFF};

    private static List<byte[]> events(int count) {
        EventFactory factory = new EventFactory(Clock.systemUTC());
        List<byte[]> payloads = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] d = factory.randomEvent(820674996354555911L).d();
            payloads.add(("{\"t\":\"X\",\"s\":" + i + ",\"op\":0,\"d\":" + new String(d, StandardCharsets.UTF_8) + "}")
                    .getBytes(StandardCharsets.UTF_8));
        }
        return payloads;
    }

    /** A JSON payload of about {@code size} bytes that does not compress to nothing. */
    private static byte[] big(int size) {
        SplittableRandom random = new SplittableRandom(size);
        StringBuilder sb = new StringBuilder(size + 64).append("{\"op\":0,\"d\":[");
        while (sb.length() < size) {
            sb.append('"').append(Long.toString(random.nextLong(), 36)).append("\",");
        }
        return sb.append("0]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Feeds the payload's messages; returns the payload the decompressor completed. */
    private static byte[] roundTrip(TransportEncoder encoder, TransportDecompressor d, byte[] payload)
            throws CorruptStreamException {
        int len = -1;
        for (byte[] message : encoder.encode(payload)) {
            len = d.accept(ByteBuffer.wrap(message));
        }
        return Arrays.copyOf(d.output(), len);
    }

    @ParameterizedTest
    @EnumSource(names = {"ZLIB_STREAM", "ZSTD_STREAM"})
    void manyPayloadsOfOneStreamComeOutByteForByte(Compression c) throws Exception {
        try (TransportEncoder encoder = TransportEncoder.forCompress(c.wireName(), 0);
             TransportDecompressor d = c.newDecompressor(MAX)) {
            for (byte[] payload : events(500)) {
                assertArrayEquals(payload, roundTrip(encoder, d, payload));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"ZLIB_STREAM", "ZSTD_STREAM"})
    void buffersStartSmallAndAreGivenBackAfterABigPayload(Compression c) throws Exception {
        List<byte[]> usual = events(3);
        byte[] guildCreate = big(3 << 20);
        try (TransportEncoder encoder = TransportEncoder.forCompress(c.wireName(), 0);
             TransportDecompressor d = c.newDecompressor(MAX)) {
            assertEquals(0, d.heapBufferBytes(), "nothing is allocated before the first payload");
            assertArrayEquals(usual.get(0), roundTrip(encoder, d, usual.get(0)));
            assertEquals(4096, d.heapBufferBytes(), "a usual dispatch fits the initial 4 KB");

            assertArrayEquals(guildCreate, roundTrip(encoder, d, guildCreate));
            assertTrue(d.heapBufferBytes() >= guildCreate.length && d.heapBufferBytes() <= 2 * guildCreate.length,
                    "grew by doubling to " + d.heapBufferBytes());

            assertArrayEquals(usual.get(1), roundTrip(encoder, d, usual.get(1)));
            assertEquals(4096, d.heapBufferBytes(), "the big buffer went back with the next payload");

            assertArrayEquals(usual.get(2), roundTrip(encoder, d, usual.get(2)));
            d.payloadTaken();
            assertEquals(0, d.heapBufferBytes(), "between payloads a connection holds no buffer (it is pooled)");
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"ZLIB_STREAM", "ZSTD_STREAM"})
    void aPayloadOverTheLimitBreaksTheStreamWithoutTakingMoreMemory(Compression c) {
        byte[] twentyMegabytes = new byte[20 << 20];
        Arrays.fill(twentyMegabytes, (byte) '7');
        try (TransportEncoder encoder = TransportEncoder.forCompress(c.wireName(), 0);
             TransportDecompressor d = c.newDecompressor(MAX)) {
            CorruptStreamException e = assertThrows(CorruptStreamException.class,
                    () -> roundTrip(encoder, d, twentyMegabytes));
            assertTrue(e.getMessage().contains("larger than " + MAX + " bytes (GATEWAY_MAX_FRAME_BYTES)"),
                    e.getMessage());
            assertTrue(d.heapBufferBytes() <= MAX, "held " + d.heapBufferBytes());
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"ZLIB_STREAM", "ZSTD_STREAM"})
    void corruptBytesMidStreamBreakIt(Compression c) throws Exception {
        byte[] payload = events(1).get(0);
        try (TransportEncoder encoder = TransportEncoder.forCompress(c.wireName(), 0);
             TransportDecompressor d = c.newDecompressor(MAX)) {
            assertArrayEquals(payload, roundTrip(encoder, d, payload));
            CorruptStreamException e = assertThrows(CorruptStreamException.class,
                    () -> d.accept(ByteBuffer.wrap(CORRUPT)));
            assertTrue(e.getMessage().startsWith("corrupt "), e.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"ZLIB_STREAM", "ZSTD_STREAM"})
    void aContinuationOnAFreshDecompressorIsCorrupt(Compression c) throws Exception {
        List<byte[]> payloads = events(2);
        byte[] second;
        try (TransportEncoder encoder = TransportEncoder.forCompress(c.wireName(), 0)) {
            encoder.encode(payloads.get(0));
            second = encoder.encode(payloads.get(1)).get(0);
        }
        try (TransportDecompressor d = c.newDecompressor(MAX)) {
            assertThrows(CorruptStreamException.class, () -> d.accept(ByteBuffer.wrap(second)));
        }
    }
}
