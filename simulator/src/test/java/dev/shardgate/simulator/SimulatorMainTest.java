package dev.shardgate.simulator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.testkit.JavaProcess;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The simulator as its own process, configured by SIM_* variables and driven over /_sim/. */
class SimulatorMainTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CONTROL_URL = Pattern.compile("control=(http://\\S+)\\R");

    /** The control URL the process printed at start-up, once it did. */
    private static Optional<String> controlUrl(JavaProcess p) {
        Matcher m = CONTROL_URL.matcher(p.logText());
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }

    @Test
    void malformedSettingsNameTheVariable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SimulatorMain.configure(Map.of("SIM_SHARDS", "many")));
        assertTrue(e.getMessage().contains("SIM_SHARDS"));
    }

    @Test
    void runsFromTheEnvironmentAndStopsOnSigterm() throws Exception {
        // Port 0 everywhere: the process binds free ports itself and prints where (a port probed free here could be
        // taken by another process before the child binds it).
        Map<String, String> env = Map.of("SIM_PORT", "0", "SIM_GATEWAY_PORT", "0", "SIM_RESUME_PORT", "0",
                "SIM_TOKEN", "process-token", "SIM_SHARDS", "2", "SIM_MAX_CONCURRENCY", "2",
                "SIM_EVENTS_PER_SECOND", "5", "SIM_HEARTBEAT_INTERVAL_MS", "30000");
        try (JavaProcess p = JavaProcess.start(SimulatorMain.class, env)) {
            String control = await().atMost(Duration.ofSeconds(60)).until(() -> controlUrl(p), Optional::isPresent)
                    .orElseThrow();
            assertEquals(200, ControlApiTest.call(control, "GET", "/stats", null).statusCode());
            JsonNode stats = JSON.readTree(ControlApiTest.call(control, "GET", "/stats", null).body());
            assertEquals(5.0, stats.get("events_per_second_per_shard").asDouble());

            GatewayTestClient c = GatewayTestClient.zlib(stats.get("gateway_url").asText());
            c.next(10, null);
            c.identify("process-token", 1, 2, 513);
            c.nextDispatch("READY");
            HttpResponse<String> fault = ControlApiTest.call(control, "POST", "/shards/1/faults/drop", null);
            assertEquals(200, fault.statusCode(), fault.body());
            assertEquals(1006, c.awaitClose());

            assertEquals(143, p.terminate(30), p.logText());
        }
    }
}
