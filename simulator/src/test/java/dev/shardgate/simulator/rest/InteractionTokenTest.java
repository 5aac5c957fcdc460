package dev.shardgate.simulator.rest;

import static dev.shardgate.simulator.rest.SimulatorServer.body;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shardgate.protocol.Snowflake;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InteractionTokenTest {
    private SimulatorServer sim;
    private long interaction;

    @BeforeEach
    void start() throws Exception {
        sim = new SimulatorServer(RestSettings.defaults().withInteractionTokenChecks(true));
        interaction = Snowflake.fromTimestampMillis(sim.clock.millis());
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private static String token(long interactionId) {
        String raw = "interaction:" + Long.toUnsignedString(interactionId) + ":c2VjcmV0";
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> callback(long id, String token) throws Exception {
        return sim.postWithoutAuth("interactions/" + Long.toUnsignedString(id) + "/" + token + "/callback",
                "{\"type\":4,\"data\":{\"content\":\"pong\"}}");
    }

    @Test
    void callbackWithinThreeSecondsWithItsTokenIsAccepted() throws Exception {
        sim.clock.advance(Duration.ofMillis(2900));
        assertEquals(204, callback(interaction, token(interaction)).statusCode());
    }

    @Test
    void callbackWithATokenOfAnotherInteractionIsUnknown() throws Exception {
        HttpResponse<String> response = callback(interaction, token(interaction + 1));
        assertEquals(404, response.statusCode());
        assertEquals(10062, body(response).get("code").asInt());
        assertEquals(10062, body(callback(interaction, "not-a-token")).get("code").asInt());
    }

    @Test
    void lateCallbackIsUnknown() throws Exception {
        sim.clock.advance(Duration.ofMillis(3001));
        assertEquals(10062, body(callback(interaction, token(interaction))).get("code").asInt());
    }

    @Test
    void followUpsWorkForFifteenMinutes() throws Exception {
        String followUp = "webhooks/" + sim.rest.botUserId() + "/" + token(interaction);
        sim.clock.advance(Duration.ofMinutes(15));
        assertEquals(200, sim.postWithoutAuth(followUp, "{\"content\":\"later\"}").statusCode());
        sim.clock.advance(Duration.ofSeconds(1));
        HttpResponse<String> expired = sim.postWithoutAuth(followUp, "{\"content\":\"too late\"}");
        assertEquals(401, expired.statusCode());
        assertEquals(50027, body(expired).get("code").asInt());
    }
}
