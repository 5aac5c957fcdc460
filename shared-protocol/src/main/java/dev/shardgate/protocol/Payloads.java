package dev.shardgate.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The payloads a shard sends on its own: Identify (op 2), Resume (op 6) and Heartbeat (op 1). */
public final class Payloads {
    private static final JsonFactory JSON = Json.FACTORY;
    private static final String LIBRARY = "shardgate";

    private Payloads() {
    }

    /** {@code {"op":1,"d":seq}}, with {@code null} before the first dispatch. */
    public static String heartbeat(long lastSeq) {
        return "{\"op\":1,\"d\":" + (lastSeq == GatewayFrame.NO_SEQ ? "null" : Long.toString(lastSeq)) + "}";
    }

    /**
     * Op 2. The token goes out bare: the gateway accepts it with or without the {@code Bot } prefix.
     *
     * @param presenceJson an initial presence object (the op 3 {@code d} shape) as JSON, or null
     */
    public static String identify(String token, int shardId, int shardCount, int intents, String presenceJson) {
        return write(g -> {
            g.writeStartObject();
            g.writeNumberField("op", Opcode.IDENTIFY.code());
            g.writeObjectFieldStart("d");
            g.writeStringField("token", stripBotPrefix(token));
            g.writeNumberField("intents", intents);
            g.writeObjectFieldStart("properties");
            g.writeStringField("os", System.getProperty("os.name", "linux").toLowerCase(java.util.Locale.ROOT));
            g.writeStringField("browser", LIBRARY);
            g.writeStringField("device", LIBRARY);
            g.writeEndObject();
            g.writeArrayFieldStart("shard");
            g.writeNumber(shardId);
            g.writeNumber(shardCount);
            g.writeEndArray();
            g.writeNumberField("large_threshold", 250);
            if (presenceJson != null) {
                g.writeFieldName("presence");
                g.writeRawValue(presenceJson);
            }
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /** Op 6. */
    public static String resume(String token, String sessionId, long seq) {
        return write(g -> {
            g.writeStartObject();
            g.writeNumberField("op", Opcode.RESUME.code());
            g.writeObjectFieldStart("d");
            g.writeStringField("token", stripBotPrefix(token));
            g.writeStringField("session_id", sessionId);
            if (seq == GatewayFrame.NO_SEQ) {
                g.writeNullField("seq");
            } else {
                g.writeNumberField("seq", seq);
            }
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    private static String stripBotPrefix(String token) {
        return token.startsWith("Bot ") ? token.substring(4) : token;
    }

    private interface Writer {
        void write(JsonGenerator g) throws IOException;
    }

    private static String write(Writer writer) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            writer.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
