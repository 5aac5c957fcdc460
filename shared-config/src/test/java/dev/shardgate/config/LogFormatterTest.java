package dev.shardgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class LogFormatterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant AT = Instant.parse("2026-12-04T01:02:03.456Z");

    @Test
    void logFormatIsTextOrJsonAndAnythingElseNamesTheSetting() {
        assertEquals(TextLogFormatter.class.getName(), ProcessLogging.formatterFor(null));
        assertEquals(TextLogFormatter.class.getName(), ProcessLogging.formatterFor(" "));
        assertEquals(TextLogFormatter.class.getName(), ProcessLogging.formatterFor("text"));
        assertEquals(JsonLogFormatter.class.getName(), ProcessLogging.formatterFor(" JSON"));
        ConfigException e = assertThrows(ConfigException.class, () -> ProcessLogging.formatterFor("xml"));
        assertEquals("LOG_FORMAT must be text or json, got 'xml'", e.getMessage());
    }

    @Test
    void aJsonLineCarriesTheFieldsAndTheShardAndEscapesWhatItMust() throws Exception {
        LogRecord r = record(Level.WARNING, "shard {0}: lease taken by {1}", 1234, "gw-\"0\"\n\u0001é");
        String line = new JsonLogFormatter().format(r);
        assertTrue(line.endsWith("\n") && line.indexOf('\n') == line.length() - 1, "one line: " + line);
        JsonNode n = JSON.readTree(line);
        assertEquals("2026-12-04T01:02:03.456Z", n.get("ts").asText());
        assertEquals("WARN", n.get("level").asText());
        assertEquals("dev.shardgate.Test", n.get("logger").asText());
        assertEquals(Thread.currentThread().getName(), n.get("thread").asText());
        assertEquals("shard 1234: lease taken by gw-\"0\"\n\u0001é", n.get("message").asText());
        assertEquals(1234, n.get("shard").asInt());
        assertFalse(n.has("stack"));
    }

    @Test
    void aJsonLineCarriesTheExceptionAsOneStringAndNoShardWhenTheLineIsNotAboutOne() throws Exception {
        LogRecord r = record(Level.SEVERE, "NATS unreachable: {0}", "timeout");
        r.setThrown(new IllegalStateException("boom"));
        JsonNode n = JSON.readTree(new JsonLogFormatter().format(r));
        assertEquals("ERROR", n.get("level").asText());
        assertEquals("java.lang.IllegalStateException: boom", n.get("error").asText());
        assertTrue(n.get("stack").asText().contains("\tat dev.shardgate.config.LogFormatterTest."),
                n.get("stack").asText());
        assertFalse(n.has("shard"));
    }

    @Test
    void aTextLineIsOneLineWithPlainNumbersAndTheUtcTime() {
        String line = new TextLogFormatter().format(record(Level.INFO, "shard {0}: resumed at seq {1}", 1234, 56789L));
        assertEquals("2026-12-04T01:02:03.456Z INFO dev.shardgate.Test: shard 1234: resumed at seq 56789\n", line);
        assertEquals("2026-12-04T01:02:03.456Z DEBUG dev.shardgate.Test: a pattern with a {broken brace\n",
                new TextLogFormatter().format(record(Level.FINE, "a pattern with a {broken brace", 1)));
    }

    private static LogRecord record(Level level, String pattern, Object... params) {
        LogRecord r = new LogRecord(level, pattern);
        r.setLoggerName("dev.shardgate.Test");
        r.setInstant(AT);
        r.setParameters(params);
        return r;
    }
}
