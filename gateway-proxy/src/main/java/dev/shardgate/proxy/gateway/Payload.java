package dev.shardgate.proxy.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.shardgate.protocol.GatewayFrame;
import dev.shardgate.protocol.Json;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the few top-level fields of {@code d} that the shard needs (Hello's interval, READY's session, a chunk's
 * nonce) with a streaming parser, without building a tree of megabyte-sized READY payloads.
 */
final class Payload {
    private static final JsonFactory JSON = Json.FACTORY;

    private Payload() {
    }

    /** The top-level scalar fields named in {@code wanted}, as text; objects and arrays are skipped. */
    static Map<String, String> fields(GatewayFrame frame, Set<String> wanted) throws IOException {
        Map<String, String> found = new HashMap<>();
        try (JsonParser p = JSON.createParser(frame.buffer(), frame.dataOffset(), frame.dataLength())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return found;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (value.isScalarValue() && value != JsonToken.VALUE_NULL && wanted.contains(name)) {
                    found.put(name, p.getText());
                } else {
                    p.skipChildren();
                }
            }
        }
        return found;
    }

    static Optional<String> field(GatewayFrame frame, String name) throws IOException {
        return Optional.ofNullable(fields(frame, Set.of(name)).get(name));
    }
}
