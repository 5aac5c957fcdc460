package dev.shardgate.simulator.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.protocol.Snowflake;
import dev.shardgate.simulator.events.GuildCatalog;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

/** zlib-stream framing, the query string and guild placement. */
class WireFormatTest {
    private static final byte[] SUFFIX = {0, 0, (byte) 0xFF, (byte) 0xFF};

    @Test
    void everyPayloadEndsWithTheSyncFlushAndLaterOnesReferBack() throws Exception {
        try (ZlibStreamEncoder encoder = new ZlibStreamEncoder(0)) {
            byte[] ack = "{\"op\":11,\"d\":null,\"s\":null,\"t\":null}".getBytes(StandardCharsets.UTF_8);
            byte[] first = encoder.encode("{\"op\":10,\"d\":{\"heartbeat_interval\":41250},\"s\":null,\"t\":null}"
                    .getBytes(StandardCharsets.UTF_8)).getFirst();
            byte[] second = encoder.encode(ack).getFirst();
            byte[] third = encoder.encode(ack).getFirst();
            assertEquals(0x78, first[0] & 0xFF);
            for (byte[] m : List.of(first, second, third)) {
                assertArrayEquals(SUFFIX, Arrays.copyOfRange(m, m.length - 4, m.length));
            }
            assertTrue(third.length < second.length, "the repeat is a back-reference");
            Inflater inflater = new Inflater();
            assertEquals(new String(ack, StandardCharsets.UTF_8), inflate(inflater, first, second).substring(60));
        }
    }

    @Test
    void splitMessagesReassembleAndOnlyTheLastEndsWithTheSuffix() throws Exception {
        try (ZlibStreamEncoder encoder = new ZlibStreamEncoder(16)) {
            StringBuilder sb = new StringBuilder("{\"op\":0,\"d\":[");
            for (int i = 0; i < 300; i++) {
                sb.append(i * 7919 % 1000).append(',');
            }
            String payload = sb.append("0]}").toString();
            List<byte[]> parts = encoder.encode(payload.getBytes(StandardCharsets.UTF_8));
            assertTrue(parts.size() > 2);
            for (int i = 0; i < parts.size(); i++) {
                byte[] p = parts.get(i);
                boolean suffix = Arrays.equals(SUFFIX, Arrays.copyOfRange(p, Math.max(0, p.length - 4), p.length));
                assertEquals(i == parts.size() - 1, suffix, "part " + i);
            }
            assertEquals(payload, inflate(new Inflater(), parts.toArray(byte[][]::new)));
        }
    }

    @Test
    void queryStringVersionsAndCompression() {
        assertTrue(GatewayQuery.parse("/?v=10&encoding=json&compress=zlib-stream").supportedCompress());
        assertTrue(GatewayQuery.parse("/?v=10&encoding=json&compress=zstd-stream").supportedCompress());
        assertTrue(GatewayQuery.parse("/?v=10&encoding=json").supportedCompress());
        assertEquals(false, GatewayQuery.parse("/?v=10&compress=gzip").supportedCompress());
        assertTrue(GatewayQuery.parse("/?v=9").supportedVersion());
        assertEquals(-1, GatewayQuery.parse("/?v=ten").version());
        assertEquals(false, GatewayQuery.parse("/?v=8").supportedVersion());
        assertEquals(false, GatewayQuery.parse("/%zz?v=10").supportedVersion());
        assertEquals("json", GatewayQuery.parse("/?v=10").encoding());
    }

    @Test
    void guildIdsLandOnTheirShard() {
        for (int count : new int[] {1, 3, 16, 48}) {
            for (int shard = 0; shard < count; shard++) {
                long[] ids = GuildCatalog.guildIds(shard, count, 5);
                assertEquals(5, Arrays.stream(ids).distinct().count());
                for (long id : ids) {
                    assertEquals(shard, Snowflake.shardFor(id, count));
                    assertTrue(Snowflake.timestampMillis(id) >= 1577836800000L, "a plausible creation time");
                }
            }
        }
    }

    private static String inflate(Inflater inflater, byte[]... messages) throws Exception {
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        for (byte[] m : messages) {
            in.write(m);
        }
        inflater.setInput(in.toByteArray());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1024];
        int n;
        while ((n = inflater.inflate(buf)) > 0) {
            out.write(buf, 0, n);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
