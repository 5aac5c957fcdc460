package dev.shardgate.simulator.rest;

import static dev.shardgate.simulator.rest.SimulatorServer.body;
import static dev.shardgate.simulator.rest.SimulatorServer.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InvalidRequestBanTest {
    private static final int THRESHOLD = 5;
    private static final String IP = "127.0.0.1";
    private SimulatorServer sim;

    @BeforeEach
    void start() throws Exception {
        sim = new SimulatorServer(RestSettings.defaults()
                .withInvalidRequestBan(THRESHOLD, Duration.ofMinutes(10), Duration.ofHours(1)));
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private HttpResponse<String> unauthorized() throws Exception {
        return sim.send(sim.request("users/@me").header("Authorization", "Bot revoked").GET().build());
    }

    @Test
    void reachingTheThresholdBansTheIpCloudflareStyle() throws Exception {
        for (int i = 0; i < THRESHOLD; i++) {
            assertEquals(401, unauthorized().statusCode());
        }
        assertTrue(sim.rest.observations().isBanned(IP));

        HttpResponse<String> banned = sim.get("users/@me");
        assertEquals(429, banned.statusCode());
        assertEquals("error code: 1015", banned.body());
        assertTrue(header(banned, "Content-Type").startsWith("text/plain"));
        assertEquals("3600", header(banned, "Retry-After"));
        assertNull(header(banned, "Via"), "Cloudflare's answer has no Via");
        assertNull(header(banned, "X-RateLimit-Scope"));
        assertNull(header(banned, "X-RateLimit-Bucket"));
        assertEquals(429, sim.postWithoutAuth("interactions/1/aW50ZXJhY3Rpb246eA/callback", "{\"type\":1}")
                .statusCode(), "the ban covers every route");
        assertEquals(2, sim.rest.observations().rateLimited(RateLimitScope.CLOUDFLARE));

        sim.clock.advance(Duration.ofMinutes(59));
        assertEquals("60", header(sim.get("users/@me"), "Retry-After"));
        sim.clock.advance(Duration.ofMinutes(1));
        assertEquals(200, sim.get("users/@me").statusCode());
        assertFalse(sim.rest.observations().isBanned(IP));
    }

    @Test
    void invalidRequestsAreCountedOverASlidingWindow() throws Exception {
        for (int i = 0; i < THRESHOLD - 1; i++) {
            unauthorized();
        }
        sim.clock.advance(Duration.ofMinutes(10));
        assertEquals(0, sim.rest.observations().invalidRequests(IP));
        for (int i = 0; i < THRESHOLD - 1; i++) {
            unauthorized();
        }
        assertEquals(THRESHOLD - 1, sim.rest.observations().invalidRequests(IP));
        assertEquals(2L * (THRESHOLD - 1), sim.rest.observations().invalidRequestsTotal());
        assertFalse(sim.rest.observations().isBanned(IP));
        assertEquals(200, sim.get("users/@me").statusCode());
    }

    @Test
    void userScoped429sCountTowardTheBan() throws Exception {
        sim.rest.setBucketLimit(RouteBucket.CURRENT_USER, 1, Duration.ofMinutes(1));
        assertEquals(200, sim.get("users/@me").statusCode());
        for (int i = 0; i < THRESHOLD; i++) {
            assertEquals("user", header(sim.get("users/@me"), "X-RateLimit-Scope"));
        }
        assertEquals("error code: 1015", sim.get("users/@me").body());
    }

    @Test
    void shared429sAreNotCounted() throws Exception {
        sim.rest.setBucketLimit(RouteBucket.CREATE_MESSAGE, 100, Duration.ofSeconds(5));
        sim.rest.faults().sharedLimit("channel:111", Duration.ofSeconds(60));
        for (int i = 0; i < 2 * THRESHOLD; i++) {
            HttpResponse<String> shared = sim.json("POST", "channels/111/messages", "{\"content\":\"hi\"}");
            assertEquals(429, shared.statusCode());
            assertEquals("shared", header(shared, "X-RateLimit-Scope"));
            assertEquals(RouteBucket.CREATE_MESSAGE.hash(), header(shared, "X-RateLimit-Bucket"));
            assertEquals("The resource is being rate limited.", body(shared).get("message").asText());
            assertEquals(60.0, body(shared).get("retry_after").asDouble(), 1e-9);
            assertEquals("60", header(shared, "Retry-After"));
        }
        assertEquals(0, sim.rest.observations().invalidRequests(IP));
        assertEquals(2L * THRESHOLD, sim.rest.observations().rateLimited(RateLimitScope.SHARED));
        assertFalse(sim.rest.observations().isBanned(IP));
        assertEquals(200, sim.json("POST", "channels/222/messages", "{\"content\":\"hi\"}").statusCode(),
                "only the injected resource is limited");
        sim.clock.advance(Duration.ofSeconds(60));
        assertEquals(200, sim.json("POST", "channels/111/messages", "{\"content\":\"hi\"}").statusCode());
    }
}
