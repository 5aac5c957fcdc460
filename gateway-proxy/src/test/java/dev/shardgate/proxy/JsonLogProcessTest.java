package dev.shardgate.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.testkit.JavaProcess;
import dev.shardgate.testkit.NatsServerProcess;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code LOG_FORMAT=json} in a real proxy process: from start to hand-over, everything it writes is JSON lines
 * with the promised fields, and the lines about a shard name it. A {@code LOG_FORMAT} it does not know stops it
 * with one line naming the setting.
 */
@Tag("process")
class JsonLogProcessTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aProxyWithJsonLogsWritesOnlyJsonLinesAndTagsShardLines() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
                Simulator sim = Simulator.builder().token("sim-token").shards(2).maxConcurrency(2).start();
                ProxyProcesses processes = new ProxyProcesses(nats, sim)) {
            ProxyProcesses.RunningProxy proxy = processes.start("gateway-0", Map.of("LOG_FORMAT", "json"));
            proxy.awaitReady();
            // 143: the JVM's status after the SIGTERM it handled (128 + 15).
            assertEquals(143, proxy.process().terminate(60), proxy.process().logText());

            List<JsonNode> lines = jsonLines(proxy.process().logText());
            Set<Integer> shards = new TreeSet<>();
            for (JsonNode line : lines) {
                for (String field : List.of("ts", "level", "logger", "thread", "message")) {
                    assertTrue(line.hasNonNull(field), "no " + field + " in " + line);
                }
                if (line.has("shard")) {
                    shards.add(line.get("shard").asInt());
                    assertTrue(line.get("message").asText().startsWith("shard " + line.get("shard").asInt()),
                            line.toString());
                }
            }
            assertEquals(Set.of(0, 1), shards, "lines tagged with each shard");
            assertTrue(lines.stream().anyMatch(l -> l.get("message").asText().startsWith("SIGTERM")),
                    "the hand-over is logged as JSON too");
        }
    }

    @Test
    void anUnknownLogFormatStopsTheProcessWithOneLineNamingTheSetting() {
        try (JavaProcess p = JavaProcess.start(ProxyMain.class, Map.of("LOG_FORMAT", "xml",
                "DISCORD_TOKEN", "sim-token", "ROLES", "rest", "ADMIN_PORT", "0", "REST_PORT", "0"))) {
            assertEquals(2, p.waitFor(60), p.logText());
            assertEquals("configuration error: LOG_FORMAT must be text or json, got 'xml'\n", p.logText());
        }
    }

    /** Every non-empty line parsed; a line that is not a JSON object fails the test with the line. */
    private static List<JsonNode> jsonLines(String log) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : log.split("\n", -1)) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + line, e);
            }
            assertTrue(node != null && node.isObject(), "not a JSON object: " + line);
            lines.add(node);
        }
        assertTrue(lines.size() > 5, "the proxy logged " + lines.size() + " lines");
        return lines;
    }
}
