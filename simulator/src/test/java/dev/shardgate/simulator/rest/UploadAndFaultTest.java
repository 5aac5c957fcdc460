package dev.shardgate.simulator.rest;

import static dev.shardgate.simulator.rest.SimulatorServer.body;
import static dev.shardgate.simulator.rest.SimulatorServer.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class UploadAndFaultTest {
    private static final String BOUNDARY = "xYzZY";
    private SimulatorServer sim;

    @BeforeEach
    void start() throws Exception {
        sim = new SimulatorServer();
        sim.rest.setBucketLimit(RouteBucket.CREATE_MESSAGE, 100, Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private static byte[] multipart(String payloadJson, int fileBytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n"
                + "Content-Type: application/json\r\n\r\n" + payloadJson + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"files[0]\"; "
                + "filename=\"report.csv\"\r\nContent-Type: text/csv\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(new byte[fileBytes]);
        out.writeBytes(("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private HttpResponse<String> upload(byte[] body) throws Exception {
        return sim.send(sim.request("channels/820675644227723272/messages")
                .header("Authorization", SimulatorServer.AUTH)
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    @Test
    void multipartMessageWithAFileIsAccepted() throws Exception {
        HttpResponse<String> response = upload(multipart(
                "{\"content\":\"report attached\",\"attachments\":[{\"id\":0,\"filename\":\"report.csv\"}]}", 1234));
        assertEquals(200, response.statusCode());
        JsonNode message = body(response);
        assertEquals("report attached", message.get("content").asText());
        JsonNode attachment = message.get("attachments").get(0);
        assertEquals("report.csv", attachment.get("filename").asText());
        assertEquals(1234, attachment.get("size").asInt());
        assertEquals("text/csv", attachment.get("content_type").asText());
    }

    @Test
    void aFileAlonesIsAMessage() throws Exception {
        assertEquals(200, upload(multipart("{}", 10)).statusCode());
    }

    @Test
    void fileOverTenMebibytesIs50045() throws Exception {
        HttpResponse<String> response = upload(multipart("{\"content\":\"big\"}", (int) (10 * RestSettings.MIB) + 1));
        assertEquals(400, response.statusCode());
        assertEquals(50045, body(response).get("code").asInt());
    }

    @Test
    void requestOver25MebibytesIs413() throws Exception {
        HttpResponse<String> response = upload(multipart("{\"content\":\"huge\"}", (int) (25 * RestSettings.MIB)));
        assertEquals(413, response.statusCode());
        assertEquals(40005, body(response).get("code").asInt());
        assertEquals(200, sim.json("POST", "channels/1/messages", "{\"content\":\"still up\"}").statusCode());
    }

    @Test
    void malformedMultipartIsRefused() throws Exception {
        HttpResponse<String> response = upload("--xYzZY\r\nno end".getBytes(StandardCharsets.UTF_8));
        assertEquals(400, response.statusCode());
        assertEquals(50035, body(response).get("code").asInt());
        HttpResponse<String> payload = upload(multipart("{not json", 1));
        assertEquals(50109, body(payload).get("code").asInt());
    }

    @Test
    void injectedServerErrorsAnswerTheNextRequests() throws Exception {
        sim.rest.faults().failNext(Endpoint.CREATE_MESSAGE, 2, 502);
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> failed = sim.json("POST", "channels/1/messages", "{\"content\":\"x\"}");
            assertEquals(502, failed.statusCode());
            assertEquals("1.1 google", header(failed, "Via"));
        }
        assertEquals(200, sim.json("POST", "channels/1/messages", "{\"content\":\"x\"}").statusCode());
        assertEquals(0, sim.rest.observations().invalidRequestsTotal());
    }

    @Test
    void injectedConnectionDropLosesOnlyTheNextRequest() throws Exception {
        sim.rest.faults().dropNext(Endpoint.CREATE_MESSAGE, 1);
        assertThrows(IOException.class, () -> sim.json("POST", "channels/1/messages", "{\"content\":\"x\"}"));
        assertEquals(200, sim.json("POST", "channels/1/messages", "{\"content\":\"x\"}").statusCode());
    }

    @Test
    void injectedLatencyDelaysTheAnswer() throws Exception {
        sim.rest.faults().latency(Endpoint.GET_CURRENT_USER, Duration.ofMillis(300));
        long start = System.nanoTime();
        assertEquals(200, sim.get("users/@me").statusCode());
        assertTrue(System.nanoTime() - start >= Duration.ofMillis(300).toNanos(), "the answer waited");
    }
}
