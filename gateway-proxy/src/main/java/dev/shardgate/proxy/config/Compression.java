package dev.shardgate.proxy.config;

import dev.shardgate.config.ConfigException;

/** Gateway transport compression ({@code GATEWAY_COMPRESSION}). */
public enum Compression {
    ZLIB_STREAM("zlib-stream"),
    NONE("none");

    private final String wireName;

    Compression(String wireName) {
        this.wireName = wireName;
    }

    /** The value of the gateway URL's {@code compress} parameter. */
    public String wireName() {
        return wireName;
    }

    static Compression parse(String value) {
        for (Compression c : values()) {
            if (c.wireName.equalsIgnoreCase(value)) {
                return c;
            }
        }
        if (value.equalsIgnoreCase("zstd-stream")) {
            throw new ConfigException("GATEWAY_COMPRESSION zstd-stream is not supported by this build "
                    + "(the JDK has no zstd); use zlib-stream");
        }
        throw new ConfigException("GATEWAY_COMPRESSION must be zlib-stream or none, got '" + value + "'");
    }
}
