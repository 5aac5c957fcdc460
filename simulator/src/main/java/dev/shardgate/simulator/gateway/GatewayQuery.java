package dev.shardgate.simulator.gateway;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The gateway URL's query string (discord-gateway.md §2.2): {@code v}, {@code encoding}, {@code compress}.
 *
 * @param version the requested {@code v}, or -1 when absent or not a number
 */
record GatewayQuery(int version, String encoding, String compress) {

    static GatewayQuery parse(String resourceDescriptor) {
        Map<String, String> params = new HashMap<>();
        String query;
        try {
            query = URI.create(resourceDescriptor == null ? "/" : resourceDescriptor).getRawQuery();
        } catch (IllegalArgumentException e) {
            query = null; // an unparsable URL is treated as one without parameters, so it closes 4012
        }
        if (query != null) {
            for (String pair : query.split("&", -1)) {
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                String value = eq < 0 ? "" : pair.substring(eq + 1);
                params.put(URLDecoder.decode(key, StandardCharsets.UTF_8),
                        URLDecoder.decode(value, StandardCharsets.UTF_8));
            }
        }
        int version;
        try {
            version = Integer.parseInt(params.getOrDefault("v", ""));
        } catch (NumberFormatException e) {
            version = -1;
        }
        return new GatewayQuery(version, params.getOrDefault("encoding", "json"), params.getOrDefault("compress", ""));
    }

    /** Discord serves v10 and v9 (discord-gateway.md §1); anything else closes with 4012. */
    boolean supportedVersion() {
        return version == 10 || version == 9;
    }

    /** No transport compression, or one that Discord offers (§2.2). */
    boolean supportedCompress() {
        return compress.isEmpty() || "zlib-stream".equals(compress) || "zstd-stream".equals(compress);
    }
}
