package dev.shardgate.simulator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.simulator.gateway.ResumeFault;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The HTTP control API under /_sim/, driving a connected client. */
@Tag("process")
class ControlApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static Simulator sim;

    @BeforeAll
    static void start() {
        sim = Simulator.builder().shards(4).maxConcurrency(4).guildsPerShard(1).start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    static HttpResponse<String> call(String base, String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void dispatchFaultAndStatsOverHttp() throws Exception {
        GatewayTestClient c = GatewayTestClient.zlib(sim.gateway().url());
        c.identifyReady("sim-token", 1, 4);
        HttpResponse<String> dispatched = call(sim.controlUrl(), "POST", "/shards/1/dispatch",
                "{\"t\":\"MESSAGE_CREATE\",\"d\":{\"content\":\"!ping\"}}");
        assertEquals(200, dispatched.statusCode(), dispatched.body());
        assertEquals(1, JSON.readTree(dispatched.body()).get("sessions").asInt());
        JsonNode message = c.nextDispatch("MESSAGE_CREATE");
        assertEquals("{\"content\":\"!ping\"}", message.get("d").toString());

        HttpResponse<String> burst = call(sim.controlUrl(), "POST", "/shards/1/burst?count=5", null);
        assertEquals(5, JSON.readTree(burst.body()).get("generated").asInt());

        HttpResponse<String> fault = call(sim.controlUrl(), "POST", "/shards/1/faults/close?code=4000", null);
        assertEquals(200, fault.statusCode(), fault.body());
        assertEquals(1, JSON.readTree(fault.body()).get("affected").asInt());
        assertEquals(4000, c.awaitClose());

        await().until(() -> JSON.readTree(call(sim.controlUrl(), "GET", "/stats", null).body())
                .get("connections").asInt() == 0);
        JsonNode stats = JSON.readTree(call(sim.controlUrl(), "GET", "/stats", null).body());
        assertEquals(1, stats.get("closes_sent").get("4000").asInt());
        assertEquals("DISCONNECTED", stats.get("sessions").get(0).get("state").asText());
        assertEquals(sim.gateway().sessionStartRemaining(), stats.get("session_start_remaining").asInt());
        assertEquals(1, stats.get("transitions").get("session ACTIVE->DISCONNECTED").asInt());

        JsonNode identifies = JSON.readTree(call(sim.controlUrl(), "GET", "/identifies", null).body());
        assertEquals("ACCEPTED", identifies.get(0).get("outcome").asText());
        assertEquals(1, identifies.get(0).get("shard").asInt());
    }

    @Test
    void badControlRequestsGetClearErrors() throws Exception {
        assertEquals(400, call(sim.controlUrl(), "POST", "/shards/0/faults/meteor", null).statusCode());
        assertEquals(400, call(sim.controlUrl(), "POST", "/shards/0/faults/close", null).statusCode());
        assertEquals(400, call(sim.controlUrl(), "POST", "/shards/0/dispatch", "{not json").statusCode());
        assertEquals(400, call(sim.controlUrl(), "POST", "/shards/0/dispatch", "{\"d\":{}}").statusCode());
        assertEquals(400, call(sim.controlUrl(), "POST", "/shards/0/dispatch",
                "{\"t\":\"BAD\\\"NAME\",\"d\":{}}").statusCode());
        assertEquals(400, call(sim.controlUrl(), "POST", "/events?per_second=fast", null).statusCode());
        assertEquals(405, call(sim.controlUrl(), "GET", "/shards/0/dispatch", null).statusCode());
        assertEquals(404, call(sim.controlUrl(), "GET", "/nothing", null).statusCode());
        HttpResponse<String> rate = call(sim.controlUrl(), "POST", "/events?per_second=0", null);
        assertEquals(200, rate.statusCode());
        assertTrue(rate.body().contains("\"events_per_second_per_shard\":0.0"));
    }

    /** A simulator of its own, so these tests leave the shared one's statistics alone. */
    private static Simulator ownSimulator() {
        return Simulator.builder().shards(4).maxConcurrency(4).guildsPerShard(1).start();
    }

    @Test
    void connectionsPerShardAndTheirPeaksOverHttp() throws Exception {
        try (Simulator own = ownSimulator()) {
            GatewayTestClient first = GatewayTestClient.zlib(own.gateway().url());
            GatewayTestClient second = GatewayTestClient.zlib(own.gateway().url());
            first.identifyReady("sim-token", 2, 4);
            second.next(10, null);
            second.identify("sim-token", 2, 4, 513);
            second.next();
            second.closeBlocking();
            await().until(() -> own.gateway().openConnections(2) == 1);
            JsonNode connections = JSON.readTree(call(own.controlUrl(), "GET", "/connections", null).body());
            assertEquals(1, connections.get("open").get("2").asInt());
            assertEquals(2, connections.get("peak").get("2").asInt());

            HttpResponse<String> reset = call(own.controlUrl(), "POST", "/connections/reset-peaks", null);
            assertEquals(200, reset.statusCode(), reset.body());
            assertEquals(1, JSON.readTree(reset.body()).get("peak").get("2").asInt());
            assertEquals(405, call(own.controlUrl(), "GET", "/connections/reset-peaks", null).statusCode());
            first.closeBlocking();
        }
    }

    @Test
    void theResumeUrlCanBeBrokenAndRepairedOverHttp() throws Exception {
        try (Simulator own = ownSimulator()) {
            HttpResponse<String> broken = call(own.controlUrl(), "POST", "/resume-url/fault/handshake-fails", null);
            assertEquals(200, broken.statusCode(), broken.body());
            assertEquals("handshake-fails", JSON.readTree(broken.body()).get("resume_url_fault").asText());
            assertEquals(ResumeFault.HANDSHAKE_FAILS, own.gateway().resumeUrlFault());
            assertEquals("handshake-fails", JSON.readTree(call(own.controlUrl(), "GET", "/stats", null).body())
                    .get("resume_url_fault").asText());
            assertEquals(400, call(own.controlUrl(), "POST", "/resume-url/fault/meteor", null).statusCode());
            assertEquals(405, call(own.controlUrl(), "GET", "/resume-url/fault/none", null).statusCode());
            assertEquals(200, call(own.controlUrl(), "POST", "/resume-url/fault/none", null).statusCode());
            assertEquals(ResumeFault.NONE, own.gateway().resumeUrlFault());
        }
    }
}
