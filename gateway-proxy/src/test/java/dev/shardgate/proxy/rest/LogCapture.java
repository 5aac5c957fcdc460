package dev.shardgate.proxy.rest;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** Collects every log line of the process (java.util.logging, where System.Logger goes) while installed. */
public final class LogCapture extends Handler implements AutoCloseable {
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final SimpleFormatter formatter = new SimpleFormatter();

    public LogCapture() {
        setLevel(Level.ALL);
        Logger.getLogger("").addHandler(this);
        Logger.getLogger("dev.shardgate").setLevel(Level.ALL);
    }

    @Override
    public void publish(LogRecord record) {
        StringBuilder line = new StringBuilder(formatter.formatMessage(record));
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            line.append(trace);
        }
        lines.add(line.toString());
        if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
            warnings.add(line.toString());
        }
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** The lines logged at WARNING or above. */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        Logger.getLogger("").removeHandler(this);
    }
}
