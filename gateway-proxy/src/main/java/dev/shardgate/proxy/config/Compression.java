package dev.shardgate.proxy.config;

import com.github.luben.zstd.util.Native;
import dev.shardgate.config.ConfigException;
import dev.shardgate.proxy.gateway.inflate.TransportDecompressor;
import dev.shardgate.proxy.gateway.inflate.ZlibStreamInflater;
import dev.shardgate.proxy.gateway.inflate.ZstdStreamInflater;
import java.util.function.IntFunction;

/**
 * Gateway transport compression ({@code GATEWAY_COMPRESSION}): what a shard puts in the gateway URL and which
 * decompressor each of its connections gets (discord-gateway.md §3.5; docs/gateway-proxy.md, "Compression").
 */
public enum Compression {
    ZLIB_STREAM("zlib-stream", ZlibStreamInflater::new),
    ZSTD_STREAM("zstd-stream", ZstdStreamInflater::new),
    NONE("none", null);

    private final String wireName;
    @SuppressWarnings("ImmutableEnumChecker") // constructor references: stateless
    private final IntFunction<TransportDecompressor> decompressors;

    Compression(String wireName, IntFunction<TransportDecompressor> decompressors) {
        this.wireName = wireName;
        this.decompressors = decompressors;
    }

    /** The configured value, which is also the gateway URL's {@code compress} value when compression is on. */
    public String wireName() {
        return wireName;
    }

    /** What the gateway URL's query string gets: {@code &compress=...}, or nothing without compression. */
    public String queryParameter() {
        return decompressors == null ? "" : "&compress=" + wireName;
    }

    /**
     * A decompressor for one new connection, or null without compression.
     *
     * @param maxPayloadBytes GATEWAY_MAX_FRAME_BYTES: the largest payload a connection accepts
     */
    public TransportDecompressor newDecompressor(int maxPayloadBytes) {
        return decompressors == null ? null : decompressors.apply(maxPayloadBytes);
    }

    static Compression parse(String value) {
        for (Compression c : values()) {
            if (c.wireName.equalsIgnoreCase(value)) {
                if (c == ZSTD_STREAM) {
                    requireZstd();
                }
                return c;
            }
        }
        throw new ConfigException("GATEWAY_COMPRESSION must be zlib-stream, zstd-stream or none, got '" + value + "'");
    }

    /** zstd is a native library: say at start-up, not at the first connection, when this platform lacks it. */
    private static void requireZstd() {
        try {
            Native.load();
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            throw new ConfigException("GATEWAY_COMPRESSION zstd-stream needs zstd-jni's native library, which did not "
                    + "load on " + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + " ("
                    + e.getMessage() + "); use zlib-stream");
        }
    }
}
