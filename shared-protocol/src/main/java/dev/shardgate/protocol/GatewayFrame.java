package dev.shardgate.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One gateway payload's envelope: {@code op}, {@code t}, {@code s} and where {@code d}'s bytes are, found with
 * a streaming parser and no JSON tree. The bytes of {@code d} are referenced, not copied: {@link #buffer()}
 * is only valid until its owner reuses it, so copy with {@link #data()} to keep them.
 *
 * @param op the opcode, possibly one this code does not know
 * @param type the dispatch name {@code t}, or null
 * @param seq the sequence {@code s}, or {@link #NO_SEQ}
 */
public record GatewayFrame(int op, String type, long seq, byte[] buffer, int dataOffset, int dataLength) {
    public static final long NO_SEQ = -1;
    private static final JsonFactory JSON = JsonFactory.builder()
            // READY and big GUILD_CREATEs are megabytes; nothing a gateway sends is deeper than this.
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build())
            .build();
    private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

    /** Reads the envelope of {@code buf[off, off+len)}, which must hold exactly one JSON object. */
    public static GatewayFrame read(byte[] buf, int off, int len) throws MalformedFrameException {
        int op = -1;
        String type = null;
        long seq = NO_SEQ;
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

    public static GatewayFrame read(byte[] buf) throws MalformedFrameException {
        return read(buf, 0, buf.length);
    }

    /** A copy of {@code d}'s exact bytes. */
    public byte[] data() {
        return Arrays.copyOfRange(buffer, dataOffset, dataOffset + dataLength);
    }

    /** {@code d} as a string, for the few small payloads the proxy looks into (Hello, READY, op 9). */
    public String dataAsString() {
        return new String(buffer, dataOffset, dataLength, StandardCharsets.UTF_8);
    }

    public boolean isDataNull() {
        return dataLength == 4 && buffer[dataOffset] == 'n' && dataAsString().equals("null");
    }

    public boolean hasSeq() {
        return seq != NO_SEQ;
    }

    @Override
    public String toString() {
        return "GatewayFrame[op=" + op + ", t=" + type + ", s=" + seq + ", d=" + dataLength + " bytes]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GatewayFrame f && f.op == op && f.seq == seq && java.util.Objects.equals(f.type, type)
                && Arrays.equals(f.buffer, f.dataOffset, f.dataOffset + f.dataLength,
                        buffer, dataOffset, dataOffset + dataLength);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(op, type, seq, dataLength);
    }
}
