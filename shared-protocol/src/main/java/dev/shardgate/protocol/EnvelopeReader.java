package dev.shardgate.protocol;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a gateway payload's envelope ({@code op}, {@code t}, {@code s} and where {@code d}'s bytes are) in one pass
 * over the bytes, without a parser object: the per-frame step of the event path (DESIGN.md), and the only JSON
 * envelope parser of the production code. A Jackson parser per payload (the benchmark's baseline) allocates more
 * than a typical MESSAGE_CREATE is long (see docs/gateway-bench.md); here a frame costs the record and, the first
 * time a dispatch name is seen, its string.
 *
 * <p>The whole payload is checked to be one JSON object of valid JSON values (strings, numbers, literals, nesting
 * up to {@value #MAX_DEPTH} levels), so what reaches the stream as {@code d} is JSON. Key order is free; a repeated
 * key counts as its last occurrence. A {@code t} written with escape sequences (Discord never sends one) is decoded
 * here too, without the name cache.
 *
 * <p>Not thread-safe (the name cache): one instance per connection owner (a shard), used on its thread.
 */
public final class EnvelopeReader {
    static final int MAX_DEPTH = 200;
    /** Room for 128 names (Discord has about 80 dispatch types) at 2 KB per connection. */
    private static final int NAME_CACHE_SIZE = 256;
    private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRUE = "true".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FALSE = "false".getBytes(StandardCharsets.US_ASCII);

    /** Dispatch names seen so far, open addressing by a hash of their bytes; full means no more are cached. */
    private final byte[][] nameBytes = new byte[NAME_CACHE_SIZE][];
    private final String[] names = new String[NAME_CACHE_SIZE];
    private int cachedNames;

    private byte[] buf;
    private int pos;
    private int end;

    public GatewayFrame read(byte[] bytes, int off, int len) throws MalformedFrameException {
        buf = bytes;
        pos = off;
        end = off + len;
        try {
            return envelope();
        } finally {
            buf = null;
        }
    }

    private GatewayFrame envelope() throws MalformedFrameException {
        skipWhitespace();
        if (pos >= end || buf[pos] != '{') {
            throw new MalformedFrameException("payload is not a JSON object");
        }
        pos++;
        int op = -1;
        String type = null;
        long seq = GatewayFrame.NO_SEQ;
        int dStart = -1;
        int dEnd = -1;
        skipWhitespace();
        if (peek() == '}') {
            pos++;
        } else {
            while (true) {
                skipWhitespace();
                int keyStart = pos + 1;
                string();
                int keyLen = pos - 1 - keyStart;
                skipWhitespace();
                expect(':');
                skipWhitespace();
                int valueStart = pos;
                switch (key(keyStart, keyLen)) {
                    case 'o' -> op = opcode();
                    case 't' -> type = type(valueStart);
                    case 's' -> seq = sequence();
                    case 'd' -> {
                        value(1);
                        dStart = valueStart;
                        dEnd = pos;
                    }
                    default -> value(1);
                }
                skipWhitespace();
                if (peek() == '}') {
                    pos++;
                    break;
                }
                expect(',');
            }
        }
        skipWhitespace();
        if (pos < end) {
            throw new MalformedFrameException("trailing data after the payload");
        }
        if (op < 0) {
            throw new MalformedFrameException("payload has no op");
        }
        if (dStart < 0) {
            return new GatewayFrame(op, type, seq, NULL, 0, NULL.length);
        }
        return new GatewayFrame(op, type, seq, buf, dStart, dEnd - dStart);
    }

    /** Which envelope field a key is: {@code 'o'} for op, {@code 't'}, {@code 's'}, {@code 'd'}, else {@code '?'}. */
    private char key(int start, int len) {
        if (len == 2 && buf[start] == 'o' && buf[start + 1] == 'p') {
            return 'o';
        }
        if (len == 1 && (buf[start] == 't' || buf[start] == 's' || buf[start] == 'd')) {
            return (char) buf[start];
        }
        return '?';
    }

    private int opcode() throws MalformedFrameException {
        if (!isNumberStart(peek())) {
            value(1);
            throw new MalformedFrameException("op is not an integer");
        }
        long v = integer("op");
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw new MalformedFrameException("invalid JSON: op " + v + " is out of range");
        }
        return (int) v;
    }

    private long sequence() throws MalformedFrameException {
        if (isNumberStart(peek())) {
            return integer("s");
        }
        if (peek() == 'n') {
            literal(NULL);
            return GatewayFrame.NO_SEQ;
        }
        value(1);
        throw new MalformedFrameException("s is not an integer");
    }

    /** A JSON number that must be an integer: {@code -?(0|[1-9][0-9]*)}, within a long. */
    private long integer(String field) throws MalformedFrameException {
        int start = pos;
        number();
        boolean negative = buf[start] == '-';
        long v = 0;
        for (int i = negative ? start + 1 : start; i < pos; i++) {
            byte c = buf[i];
            if (c < '0' || c > '9') {
                throw new MalformedFrameException(field + " is not an integer");
            }
            if (v > (Long.MAX_VALUE - (c - '0')) / 10) {
                throw new MalformedFrameException("invalid JSON: " + field + " is out of range");
            }
            v = v * 10 + (c - '0');
        }
        return negative ? -v : v;
    }

    private String type(int valueStart) throws MalformedFrameException {
        if (peek() == 'n') {
            literal(NULL);
            return null;
        }
        if (peek() != '"') {
            value(1);
            throw new MalformedFrameException("t is not a string");
        }
        return string() ? unescape(valueStart + 1, pos - 1) : name(valueStart + 1, pos - 1);
    }

    /** The string whose JSON text, escapes included and already validated, is {@code buf[from, to)}. */
    private String unescape(int from, int to) {
        StringBuilder out = new StringBuilder(to - from);
        int run = from;
        int i = from;
        while (i < to) {
            if (buf[i] != '\\') {
                i++;
                continue;
            }
            out.append(new String(buf, run, i - run, StandardCharsets.UTF_8));
            byte e = buf[i + 1];
            i += 2;
            switch (e) {
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    // a surrogate pair arrives as two escapes, and two chars make it whole again
                    out.append((char) Integer.parseInt(new String(buf, i, 4, StandardCharsets.US_ASCII), 16));
                    i += 4;
                }
                default -> out.append((char) e); // '"', '\\' or '/'
            }
            run = i;
        }
        return out.append(new String(buf, run, to - run, StandardCharsets.UTF_8)).toString();
    }

    /** The dispatch name in {@code buf[from, to)}, from the cache when it was seen before. */
    private String name(int from, int to) {
        int hash = 1;
        for (int i = from; i < to; i++) {
            hash = 31 * hash + buf[i];
        }
        int slot = (hash ^ (hash >>> 16)) & (NAME_CACHE_SIZE - 1);
        for (int probe = 0; probe < NAME_CACHE_SIZE; probe++, slot = (slot + 1) & (NAME_CACHE_SIZE - 1)) {
            byte[] known = nameBytes[slot];
            if (known == null) {
                String name = new String(buf, from, to - from, StandardCharsets.UTF_8);
                // Keep half the table free so that probes stay short; unknown names beyond that are not cached.
                if (cachedNames < NAME_CACHE_SIZE / 2) {
                    nameBytes[slot] = Arrays.copyOfRange(buf, from, to);
                    names[slot] = name;
                    cachedNames++;
                }
                return name;
            }
            if (Arrays.equals(known, 0, known.length, buf, from, to)) {
                return names[slot];
            }
        }
        return new String(buf, from, to - from, StandardCharsets.UTF_8);
    }

    // ---- validation of any JSON value ----

    private void value(int depth) throws MalformedFrameException {
        if (depth > MAX_DEPTH) {
            throw new MalformedFrameException("invalid JSON: nested deeper than " + MAX_DEPTH);
        }
        byte c = peek();
        switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal(TRUE);
            case 'f' -> literal(FALSE);
            case 'n' -> literal(NULL);
            default -> {
                if (!isNumberStart(c)) {
                    throw unexpected();
                }
                number();
            }
        }
    }

    private void object(int depth) throws MalformedFrameException {
        pos++;
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return;
        }
        while (true) {
            skipWhitespace();
            string();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            value(depth + 1);
            skipWhitespace();
            byte next = peek();
            if (next == '}') {
                pos++;
                return;
            }
            expect(',');
        }
    }

    private void array(int depth) throws MalformedFrameException {
        pos++;
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return;
        }
        while (true) {
            skipWhitespace();
            value(depth + 1);
            skipWhitespace();
            byte next = peek();
            if (next == ']') {
                pos++;
                return;
            }
            expect(',');
        }
    }

    /** Skips a string starting at {@code pos}; returns whether it had escape sequences. */
    private boolean string() throws MalformedFrameException {
        if (peek() != '"') {
            throw unexpected();
        }
        pos++;
        boolean escaped = false;
        while (pos < end) {
            byte c = buf[pos++];
            if (c == '"') {
                return escaped;
            }
            if (c == '\\') {
                escaped = true;
                escape();
            } else if (c >= 0 && c < 0x20) {
                throw new MalformedFrameException("invalid JSON: control character in a string at byte " + (pos - 1));
            }
        }
        throw new MalformedFrameException("payload ends early");
    }

    private void escape() throws MalformedFrameException {
        byte e = peek();
        pos++;
        switch (e) {
            case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> {
            }
            case 'u' -> {
                for (int i = 0; i < 4; i++) {
                    byte h = peek();
                    if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F'))) {
                        throw new MalformedFrameException("invalid JSON: bad \\u escape at byte " + pos);
                    }
                    pos++;
                }
            }
            default -> throw new MalformedFrameException("invalid JSON: bad escape at byte " + (pos - 1));
        }
    }

    /** {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?} */
    private void number() throws MalformedFrameException {
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else {
            digits();
        }
        if (pos < end && buf[pos] == '.') {
            pos++;
            digits();
        }
        if (pos < end && (buf[pos] == 'e' || buf[pos] == 'E')) {
            pos++;
            if (pos < end && (buf[pos] == '+' || buf[pos] == '-')) {
                pos++;
            }
            digits();
        }
    }

    private void digits() throws MalformedFrameException {
        int start = pos;
        while (pos < end && buf[pos] >= '0' && buf[pos] <= '9') {
            pos++;
        }
        if (pos == start) {
            throw unexpected();
        }
    }

    private void literal(byte[] word) throws MalformedFrameException {
        if (end - pos < word.length || !Arrays.equals(buf, pos, pos + word.length, word, 0, word.length)) {
            throw unexpected();
        }
        pos += word.length;
    }

    private static boolean isNumberStart(byte c) {
        return c == '-' || (c >= '0' && c <= '9');
    }

    private void expect(char c) throws MalformedFrameException {
        if (peek() != c) {
            throw unexpected();
        }
        pos++;
    }

    /** The byte at {@code pos}; at the end of the payload that is an error, as nothing valid can end there. */
    private byte peek() throws MalformedFrameException {
        if (pos >= end) {
            throw new MalformedFrameException("payload ends early");
        }
        return buf[pos];
    }

    private MalformedFrameException unexpected() {
        if (pos >= end) {
            return new MalformedFrameException("payload ends early");
        }
        return new MalformedFrameException("invalid JSON: unexpected character '" + (char) (buf[pos] & 0xFF)
                + "' at byte " + pos);
    }

    private void skipWhitespace() {
        while (pos < end) {
            byte c = buf[pos];
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return;
            }
            pos++;
        }
    }
}
