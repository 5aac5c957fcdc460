package dev.shardgate.simulator.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.shardgate.simulator.Simulator;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The REST simulator behind the whole simulator's HTTP server and router, as the proxy and clients meet it. */
@Tag("process")
class MountedInSimulatorTest {
    private Simulator simulator;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();

    @BeforeEach
    void start() {
        simulator = Simulator.builder().token(SimulatorServer.TOKEN).start();
    }

    @AfterEach
    void stop() {
        simulator.close();
        client.close();
    }

    private HttpResponse<String> createMessage() throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(simulator.apiUrl() + "/channels/42/messages"))
                .timeout(Duration.ofSeconds(60)).header("Authorization", SimulatorServer.AUTH)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"pong\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void answersThroughTheSimulatorsRouter() throws Exception {
        HttpResponse<String> created = createMessage();
        assertEquals(200, created.statusCode());
        assertEquals("1.1 google", created.headers().firstValue("Via").orElseThrow());
        assertEquals(RouteBucket.CREATE_MESSAGE.hash(), created.headers().firstValue("X-RateLimit-Bucket").orElseThrow());
    }

    @Test
    void injectedDropClosesTheConnectionThroughTheRouter() throws Exception {
        simulator.rest().faults().dropNext(Endpoint.CREATE_MESSAGE, 1);
        assertThrows(IOException.class, this::createMessage);
        assertEquals(200, createMessage().statusCode());
    }
}
