package dev.shardgate.bench.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.shardgate.protocol.GatewayFrame;
import dev.shardgate.protocol.MalformedFrameException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The envelope read with a Jackson streaming parser per payload: how the proxy read frames before
 * {@link dev.shardgate.protocol.EnvelopeReader}, kept here only as {@link GatewayBench}'s baseline.
 */
final class JacksonEnvelope {
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build())
            .build();
    private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

    private JacksonEnvelope() {
    }

    /** Reads the envelope of {@code buf[off, off+len)}, which must hold exactly one JSON object. */
    static GatewayFrame read(byte[] buf, int off, int len) throws MalformedFrameException {
        int op = -1;
        String type = null;
        long seq = GatewayFrame.NO_SEQ;
        int dStart = -1;
        int dEnd = -1;
        try (JsonParser p = JSON.createParser(buf, off, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new MalformedFrameException("payload is not a JSON object");
            }
            JsonToken token;
            while ((token = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "op" -> {
                        if (value != JsonToken.VALUE_NUMBER_INT) {
                            throw new MalformedFrameException("op is not an integer");
                        }
                        op = p.getIntValue();
                    }
                    case "t" -> type = value == JsonToken.VALUE_NULL ? null : p.getValueAsString();
                    case "s" -> {
                        if (value == JsonToken.VALUE_NUMBER_INT) {
                            seq = p.getLongValue();
                        } else if (value != JsonToken.VALUE_NULL) {
                            throw new MalformedFrameException("s is not an integer");
                        }
                    }
                    case "d" -> {
                        dStart = (int) p.currentTokenLocation().getByteOffset();
                        if (value.isStructStart()) {
                            p.skipChildren();
                            dEnd = (int) p.currentTokenLocation().getByteOffset() + 1;
                        } else {
                            p.finishToken();
                            dEnd = (int) p.currentLocation().getByteOffset();
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (token != JsonToken.END_OBJECT) {
                throw new MalformedFrameException("payload ends early");
            }
            if (p.nextToken() != null) {
                throw new MalformedFrameException("trailing data after the payload");
            }
        } catch (JsonProcessingException e) {
            throw new MalformedFrameException("invalid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new MalformedFrameException("unreadable payload: " + e.getMessage(), e);
        }
        if (op < 0) {
            throw new MalformedFrameException("payload has no op");
        }
        if (dStart < 0) {
            return new GatewayFrame(op, type, seq, NULL, 0, NULL.length);
        }
        // Jackson's byte offsets count from off, not from the start of the array.
        return new GatewayFrame(op, type, seq, buf, off + dStart, dEnd - dStart);
    }
}
