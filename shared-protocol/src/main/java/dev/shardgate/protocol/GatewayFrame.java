package dev.shardgate.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One gateway payload's envelope: {@code op}, {@code t}, {@code s} and where {@code d}'s bytes are, as
 * {@link EnvelopeReader} found them. The bytes of {@code d} are referenced, not copied: {@link #buffer()}
 * is only valid until its owner reuses it, so copy with {@link #data()} to keep them.
 *
 * @param op the opcode, possibly one this code does not know
 * @param type the dispatch name {@code t}, or null
 * @param seq the sequence {@code s}, or {@link #NO_SEQ}
 */
@SuppressWarnings("ArrayRecordComponent") // a view of a reused buffer, never compared or hashed as a value
public record GatewayFrame(int op, String type, long seq, byte[] buffer, int dataOffset, int dataLength) {
    public static final long NO_SEQ = -1;

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
        return o instanceof GatewayFrame f && f.op == op && f.seq == seq && Objects.equals(f.type, type)
                && Arrays.equals(f.buffer, f.dataOffset, f.dataOffset + f.dataLength,
                        buffer, dataOffset, dataOffset + dataLength);
    }

    @Override
    public int hashCode() {
        return Objects.hash(op, type, seq, dataLength);
    }
}
