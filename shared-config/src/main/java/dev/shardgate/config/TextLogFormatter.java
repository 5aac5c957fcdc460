package dev.shardgate.config;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * {@code LOG_FORMAT=text} (the default): one line per record, {@code 2026-12-04T01:02:03.456Z INFO logger: message},
 * then the stack trace of an exception if there is one.
 */
public final class TextLogFormatter extends Formatter {
    @Override
    public String format(LogRecord r) {
        StringBuilder line = new StringBuilder(128).append(r.getInstant()).append(' ')
                .append(LogLine.level(r.getLevel())).append(' ').append(r.getLoggerName()).append(": ")
                .append(LogLine.message(r)).append('\n');
        if (r.getThrown() != null) {
            StringWriter trace = new StringWriter();
            r.getThrown().printStackTrace(new PrintWriter(trace));
            line.append(trace);
        }
        return line.toString();
    }
}
