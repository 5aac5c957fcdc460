package dev.shardgate.config;

import java.text.MessageFormat;
import java.util.Arrays;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * What both log formats take from a record. Numbers in a message are written plainly ({@code shard 1234}, not the
 * {@code shard 1,234} of {@link MessageFormat}'s locale grouping), and a line about one shard, which by the project's
 * convention starts {@code shard {0}} with the shard id as first parameter, names that shard.
 */
final class LogLine {
    private static final String SHARD_PREFIX = "shard {0}";

    private LogLine() {
    }

    /** The message with its parameters filled in; a pattern that does not parse is shown as it is. */
    static String message(LogRecord r) {
        String pattern = r.getMessage();
        Object[] params = r.getParameters();
        if (pattern == null || params == null || params.length == 0 || !pattern.contains("{")) {
            return pattern == null ? "" : pattern;
        }
        Object[] plain = Arrays.stream(params).map(p -> p instanceof Number n && !(p instanceof Double)
                && !(p instanceof Float) ? n.toString() : p).toArray();
        try {
            return new MessageFormat(pattern, Locale.ROOT).format(plain);
        } catch (IllegalArgumentException e) {
            return pattern;
        }
    }

    /** The shard a line is about, when it follows the {@code shard {0}} convention. */
    static OptionalInt shard(LogRecord r) {
        String pattern = r.getMessage();
        Object[] params = r.getParameters();
        if (pattern == null || !pattern.startsWith(SHARD_PREFIX) || params == null || params.length == 0) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(String.valueOf(params[0])));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /** The level under the names log pipelines use (ERROR, WARN, INFO, DEBUG, TRACE) rather than JUL's. */
    static String level(Level level) {
        int v = level.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return "ERROR";
        } else if (v >= Level.WARNING.intValue()) {
            return "WARN";
        } else if (v >= Level.INFO.intValue()) {
            return "INFO";
        } else if (v >= Level.FINE.intValue()) {
            return "DEBUG";
        }
        return "TRACE";
    }
}
