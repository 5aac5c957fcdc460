package dev.shardgate.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.shardgate.config.ConfigException;
import dev.shardgate.proxy.gateway.inflate.TransportDecompressor;
import dev.shardgate.proxy.gateway.inflate.ZlibStreamInflater;
import dev.shardgate.proxy.gateway.inflate.ZstdStreamInflater;
import org.junit.jupiter.api.Test;

/** GATEWAY_COMPRESSION: what each value puts in the gateway URL and which decompressor a connection gets. */
class CompressionTest {

    @Test
    void eachValueGivesItsQueryParameterAndDecompressor() {
        assertEquals(Compression.ZLIB_STREAM, Compression.parse("zlib-stream"));
        assertEquals(Compression.ZSTD_STREAM, Compression.parse("ZSTD-stream"));
        assertEquals(Compression.NONE, Compression.parse("none"));
        assertEquals("&compress=zlib-stream", Compression.ZLIB_STREAM.queryParameter());
        assertEquals("&compress=zstd-stream", Compression.ZSTD_STREAM.queryParameter());
        assertEquals("", Compression.NONE.queryParameter());
        try (TransportDecompressor zlib = Compression.ZLIB_STREAM.newDecompressor(1024);
             TransportDecompressor zstd = Compression.ZSTD_STREAM.newDecompressor(1024)) {
            assertInstanceOf(ZlibStreamInflater.class, zlib);
            assertInstanceOf(ZstdStreamInflater.class, zstd);
        }
        assertNull(Compression.NONE.newDecompressor(1024));
    }

    @Test
    void anUnknownValueIsAClearError() {
        ConfigException e = assertThrows(ConfigException.class, () -> Compression.parse("gzip"));
        assertEquals("GATEWAY_COMPRESSION must be zlib-stream, zstd-stream or none, got 'gzip'", e.getMessage());
    }
}
