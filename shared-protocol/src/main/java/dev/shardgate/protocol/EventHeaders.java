package dev.shardgate.protocol;

/** Header names and values of the event messages (CONTRACT.md) and of their dead letters. */
public final class EventHeaders {
    public static final String SHARD = "Discord-Shard";
    public static final String SEQ = "Discord-Seq";
    public static final String EVENT = "Discord-Event";
    /** JetStream's de-duplication header. */
    public static final String MSG_ID = "Nats-Msg-Id";
    /**
     * On an event whose body was larger than the server's {@code max_payload}: the name of the object in the
     * bucket {@code {stream}_LARGE} that holds the body; the message itself has an empty body.
     */
    public static final String OBJECT = "Shardgate-Object";
    /** On a dead letter: why the event could not be stored or handled (exception and message, one line). */
    public static final String ERROR = "Shardgate-Error";
    /** On a dead letter of the gateway proxy: the event subject it could not be stored on. */
    public static final String SUBJECT = "Shardgate-Subject";
    /** Header values are kept readable; an error longer than this is cut. */
    private static final int MAX_ERROR_CHARS = 1000;

    private EventHeaders() {
    }

    /** {@code {shard}:{session_id}:{seq}}: a replay after a resume gets the same id and is stored once. */
    public static String messageId(int shard, String sessionId, long seq) {
        return shard + ":" + sessionId + ":" + seq;
    }

    /**
     * The {@code Discord-Event} value of an event type: the type exactly, unless it holds a backslash or a character
     * a NATS header cannot carry (anything outside printable US-ASCII: CR, LF, other controls, non-ASCII). Such a
     * type is written JSON-escaped instead ({@code \\}, {@code \n}, {@code \r}, {@code \t}, {@code \u00e9}), so the
     * value has a backslash exactly when it is escaped and {@link #eventType(String)} gives the type back. Every
     * Discord event name is plain ASCII and goes as it is.
     */
    public static String eventValue(String type) {
        if (type.chars().allMatch(c -> c >= 0x20 && c < 0x7f && c != '\\')) {
            return type;
        }
        StringBuilder out = new StringBuilder(type.length() + 16);
        for (int i = 0; i < type.length(); i++) {
            char c = type.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c >= 0x20 && c < 0x7f) {
                        out.append(c);
                    } else {
                        out.append(String.format("\\u%04x", (int) c));
                    }
                }
            }
        }
        return out.toString();
    }

    /** The event type of a {@code Discord-Event} value: undoes {@link #eventValue(String)}. */
    public static String eventType(String value) {
        if (value.indexOf('\\') < 0) {
            return value;
        }
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != '\\' || i + 1 == value.length()) {
                out.append(c);
                continue;
            }
            char next = value.charAt(++i);
            switch (next) {
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (i + 4 < value.length() && isHex(value, i + 1, i + 5)) {
                        out.append((char) Integer.parseInt(value, i + 1, i + 5, 16));
                        i += 4;
                    } else {
                        out.append("\\u");
                    }
                }
                default -> out.append(next);
            }
        }
        return out.toString();
    }

    /** An error text as a header value: one line of printable ASCII, at most 1000 characters. */
    public static String errorValue(String error) {
        String s = error == null ? "(no message)"
                : error.replaceAll("[\\r\\n\\t]+", " ").replaceAll("[^\\x20-\\x7e]", "?");
        return s.length() > MAX_ERROR_CHARS ? s.substring(0, MAX_ERROR_CHARS) + "..." : s;
    }

    private static boolean isHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }
}
