package dev.shardgate.simulator.rest;

import static dev.shardgate.simulator.rest.SimulatorServer.body;
import static dev.shardgate.simulator.rest.SimulatorServer.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GlobalLimitTest {
    private static final int GLOBAL = 5;
    private SimulatorServer sim;

    @BeforeEach
    void start() throws Exception {
        sim = new SimulatorServer(RestSettings.defaults().withGlobalLimit(GLOBAL));
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    /** Each request to another channel, so only the global limit can refuse it. */
    private HttpResponse<String> send(int channel) throws Exception {
        return sim.json("POST", "channels/" + channel + "/messages", "{\"content\":\"hi\"}");
    }

    private void exhaustGlobal() throws Exception {
        for (int i = 1; i <= GLOBAL; i++) {
            assertEquals(200, send(i).statusCode());
        }
    }

    @Test
    void overTheGlobalLimitAnswersGlobal429WithoutBucketHeaders() throws Exception {
        exhaustGlobal();
        sim.clock.advance(Duration.ofMillis(600));
        HttpResponse<String> limited = send(100);
        assertEquals(429, limited.statusCode());
        JsonNode body = body(limited);
        assertTrue(body.get("global").asBoolean());
        assertEquals(0.4, body.get("retry_after").asDouble(), 1e-9);
        assertEquals("true", header(limited, "X-RateLimit-Global"));
        assertEquals("global", header(limited, "X-RateLimit-Scope"));
        assertEquals("1", header(limited, "Retry-After"));
        assertEquals("1.1 google", header(limited, "Via"));
        assertNull(header(limited, "X-RateLimit-Bucket"));
        assertNull(header(limited, "X-RateLimit-Remaining"));
        assertEquals(1, sim.rest.observations().rateLimited(RateLimitScope.GLOBAL));
        assertEquals(1, sim.rest.observations().invalidRequests("127.0.0.1"));
        assertEquals(GLOBAL + 1, sim.rest.observations().maxRequestsPerSecondOfToken(SimulatorServer.TOKEN));

        sim.clock.advance(Duration.ofMillis(400));
        assertEquals(200, send(101).statusCode(), "a new second, a new window");
    }

    @Test
    void interactionEndpointsAreExempt() throws Exception {
        exhaustGlobal();
        for (int i = 0; i < 3; i++) {
            String token = "aW50ZXJhY3Rpb246" + i;
            assertEquals(204, sim.postWithoutAuth("interactions/" + (900 + i) + "/" + token + "/callback",
                    "{\"type\":5}").statusCode());
            assertEquals(200, sim.postWithoutAuth("webhooks/" + sim.rest.botUserId() + "/" + token,
                    "{\"content\":\"follow-up\"}").statusCode());
        }
        assertEquals(429, send(100).statusCode());
        assertEquals(GLOBAL + 1, sim.rest.observations().maxRequestsPerSecondOfToken(SimulatorServer.TOKEN),
                "exempt requests are not counted against the token");
    }

    @Test
    void requestsWithoutAuthorizationCountAgainstTheIp() throws Exception {
        exhaustGlobal();
        for (int i = 0; i < GLOBAL; i++) {
            assertEquals(204, sim.postWithoutAuth("webhooks/" + (500 + i) + "/plain-token",
                    "{\"content\":\"x\"}").statusCode());
        }
        HttpResponse<String> limited = sim.postWithoutAuth("webhooks/600/plain-token", "{\"content\":\"x\"}");
        assertEquals(429, limited.statusCode());
        assertEquals("global", header(limited, "X-RateLimit-Scope"));
        assertEquals(GLOBAL + 1, sim.rest.observations().maxRequestsPerSecondOfIp("127.0.0.1"));
    }

    @Test
    void theMostRequestsInAnySecondIsMeasuredOverASlidingWindow() throws Exception {
        for (int i = 1; i <= 3; i++) {
            send(i);
        }
        sim.clock.advance(Duration.ofMillis(900));
        for (int i = 4; i <= 5; i++) {
            send(i);
        }
        sim.clock.advance(Duration.ofMillis(200));
        for (int i = 6; i <= 9; i++) {
            assertEquals(200, send(i).statusCode(), "the enforcing window reset 1 s after it opened");
        }
        assertEquals(6, sim.rest.observations().maxRequestsPerSecondOfToken(SimulatorServer.TOKEN),
                "two requests at +900 ms and four at +1100 ms fall within one second");
    }
}
