package dev.shardgate.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.OptionalInt;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * {@code LOG_FORMAT=json}: one JSON object per line for log pipelines: {@code ts} (ISO-8601, UTC), {@code level},
 * {@code logger}, {@code thread}, {@code message}, {@code shard} when the line is about one shard, and for an
 * exception {@code error} (its class and message) and {@code stack} (the whole trace as one string).
 *
 * <p>Handlers format on the thread that logs, so the current thread's name is the record's.
 */
public final class JsonLogFormatter extends Formatter {
    private static final JsonFactory JSON = new JsonFactory();

    @Override
    public String format(LogRecord r) {
        StringWriter out = new StringWriter(192);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("ts", r.getInstant().toString());
            g.writeStringField("level", LogLine.level(r.getLevel()));
            g.writeStringField("logger", r.getLoggerName());
            g.writeStringField("thread", Thread.currentThread().getName());
            g.writeStringField("message", LogLine.message(r));
            OptionalInt shard = LogLine.shard(r);
            if (shard.isPresent()) {
                g.writeNumberField("shard", shard.getAsInt());
            }
            if (r.getThrown() != null) {
                g.writeStringField("error", r.getThrown().toString());
                StringWriter trace = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(trace));
                g.writeStringField("stack", trace.toString());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("a StringWriter does not fail", e);
        }
        return out.append('\n').toString();
    }
}
