package dev.shardgate.simulator.rest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A parsed {@code multipart/form-data} body (RFC 7578), enough to validate what Discord validates: the part
 * names ({@code payload_json}, {@code files[n]}), file names, types and sizes. Parts are views into the body.
 */
record Multipart(List<Part> parts) {
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] HEADER_END = {'\r', '\n', '\r', '\n'};

    /** One part: its form name, its file name (null for a plain field) and where its content lies in the body. */
    @SuppressWarnings("ArrayRecordComponent") // a range of the request body, never compared or hashed
    record Part(String name, String filename, String contentType, byte[] body, int from, int to) {
        int size() {
            return to - from;
        }

        byte[] content() {
            return Arrays.copyOfRange(body, from, to);
        }

        boolean isFile() {
            return filename != null;
        }
    }

    /** The boundary parameter of a multipart Content-Type, or null if there is none. */
    static String boundary(String contentType) {
        for (String param : contentType.split(";", -1)) {
            String p = param.strip();
            if (p.regionMatches(true, 0, "boundary=", 0, 9)) {
                String value = p.substring(9).strip();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                return value.isEmpty() ? null : value;
            }
        }
        return null;
    }

    /** @throws IllegalArgumentException with what is wrong, for a body that is not well-formed multipart */
    static Multipart parse(byte[] body, String boundary) {
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        int pos = indexOf(body, delimiter, 0);
        if (pos < 0) {
            throw new IllegalArgumentException("no boundary delimiter in the body");
        }
        byte[] nextDelimiter = concat(CRLF, delimiter);
        List<Part> parts = new ArrayList<>();
        pos += delimiter.length;
        while (true) {
            if (startsWith(body, pos, new byte[] {'-', '-'})) {
                return new Multipart(List.copyOf(parts));
            }
            if (!startsWith(body, pos, CRLF)) {
                throw new IllegalArgumentException("a boundary delimiter is not followed by CRLF");
            }
            int headersStart = pos + 2;
            int headersEnd = indexOf(body, HEADER_END, headersStart);
            if (headersEnd < 0) {
                throw new IllegalArgumentException("a part's headers do not end");
            }
            int contentStart = headersEnd + HEADER_END.length;
            int contentEnd = indexOf(body, nextDelimiter, contentStart);
            if (contentEnd < 0) {
                throw new IllegalArgumentException("the body ends without its closing delimiter");
            }
            parts.add(part(new String(body, headersStart, headersEnd - headersStart, StandardCharsets.UTF_8),
                    body, contentStart, contentEnd));
            pos = contentEnd + nextDelimiter.length;
        }
    }

    private static Part part(String headers, byte[] body, int from, int to) {
        String name = null;
        String filename = null;
        String contentType = null;
        for (String line : headers.split("\r\n", -1)) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String header = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            if (header.equals("content-disposition")) {
                name = dispositionParam(value, "name");
                filename = dispositionParam(value, "filename");
            } else if (header.equals("content-type")) {
                contentType = value;
            }
        }
        if (name == null) {
            throw new IllegalArgumentException("a part has no Content-Disposition name");
        }
        return new Part(name, filename, contentType, body, from, to);
    }

    private static String dispositionParam(String disposition, String key) {
        for (String param : disposition.split(";", -1)) {
            String p = param.strip();
            int eq = p.indexOf('=');
            if (eq > 0 && p.substring(0, eq).strip().equalsIgnoreCase(key)) {
                String value = p.substring(eq + 1).strip();
                return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
                        ? value.substring(1, value.length() - 1) : value;
            }
        }
        return null;
    }

    private static boolean startsWith(byte[] body, int pos, byte[] prefix) {
        return pos + prefix.length <= body.length
                && Arrays.equals(body, pos, pos + prefix.length, prefix, 0, prefix.length);
    }

    private static int indexOf(byte[] body, byte[] needle, int from) {
        byte first = needle[0];
        int last = body.length - needle.length;
        for (int i = from; i <= last; i++) {
            if (body[i] == first && Arrays.equals(body, i, i + needle.length, needle, 0, needle.length)) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
