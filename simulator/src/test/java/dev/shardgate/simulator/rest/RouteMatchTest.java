package dev.shardgate.simulator.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouteMatchTest {
    private static final long APP = DiscordObjects.BOT_ID;

    @Test
    void literalSegmentsWinOverPlaceholders() throws Exception {
        assertEquals(Endpoint.GET_CURRENT_USER, RouteMatch.resolve("GET", "/api/v10/users/@me").endpoint());
        assertEquals(Endpoint.GET_USER, RouteMatch.resolve("GET", "/api/v10/users/80351110224678912").endpoint());
        assertEquals(Endpoint.BULK_DELETE_MESSAGES,
                RouteMatch.resolve("POST", "/api/v10/channels/1/messages/bulk-delete").endpoint());
        assertEquals(Endpoint.GET_ORIGINAL_INTERACTION_RESPONSE,
                RouteMatch.resolve("GET", "/api/v10/webhooks/1/tok/messages/@original").endpoint());
    }

    @Test
    void reactionPathsAreDecodedAndKeyedByChannel() throws Exception {
        RouteMatch match = RouteMatch.resolve("PUT", "/api/v10/channels/111/messages/999/reactions/%F0%9F%91%8D/@me");
        assertEquals(Endpoint.CREATE_OWN_REACTION, match.endpoint());
        assertEquals("👍", match.param("emoji"));
        assertEquals("channel:111", match.resource());
        assertEquals("custom:123", RouteMatch.resolve("PUT",
                "/api/v10/channels/111/messages/999/reactions/custom:123/@me").param("emoji"));
    }

    @Test
    void majorParametersNameTheResource() throws Exception {
        assertEquals("guild:5", RouteMatch.resolve("GET", "/api/v10/guilds/5/members/6").resource());
        assertEquals("webhook:7:abc", RouteMatch.resolve("POST", "/api/v10/webhooks/7/abc").resource());
        assertEquals("interaction:8", RouteMatch.resolve("POST", "/api/v10/interactions/8/tok/callback").resource());
        assertEquals("none", RouteMatch.resolve("GET", "/api/v10/users/@me").resource());
    }

    @Test
    void onlyInteractionEndpointsAreGloballyExempt() throws Exception {
        assertTrue(RouteMatch.resolve("POST", "/api/v10/interactions/8/tok/callback").globalExempt(APP));
        assertTrue(RouteMatch.resolve("POST", "/api/v10/webhooks/1/aW50ZXJhY3Rpb246eHl6").globalExempt(APP));
        assertTrue(RouteMatch.resolve("PATCH", "/api/v10/webhooks/" + APP + "/tok/messages/@original")
                .globalExempt(APP));
        assertFalse(RouteMatch.resolve("POST", "/api/v10/webhooks/1/ordinary-token").globalExempt(APP));
        assertFalse(RouteMatch.resolve("POST", "/api/v10/channels/1/messages").globalExempt(APP));
    }

    @Test
    void unknownPathsWrongMethodsAndBadIdsAreErrors() {
        assertEquals(404, assertThrows(DiscordError.class,
                () -> RouteMatch.resolve("GET", "/api/v10/nothing/here")).status());
        assertEquals(404, assertThrows(DiscordError.class,
                () -> RouteMatch.resolve("GET", "/api/v9/users/@me")).status());
        assertEquals(405, assertThrows(DiscordError.class,
                () -> RouteMatch.resolve("DELETE", "/api/v10/users/@me")).status());
        DiscordError badId = assertThrows(DiscordError.class,
                () -> RouteMatch.resolve("GET", "/api/v10/channels/abc/messages"));
        assertEquals(400, badId.status());
        assertEquals(50035, badId.body().get("code").asInt());
    }

    @Test
    void everyEndpointIsReachableAndHasADistinctRoute() throws Exception {
        Set<String> routes = new HashSet<>();
        for (Endpoint endpoint : Endpoint.values()) {
            assertTrue(routes.add(endpoint.toString()), "duplicate route " + endpoint);
            String path = "/api/v10/" + String.join("/", Arrays.stream(endpoint.template().split("/"))
                    .map(s -> s.startsWith("{") ? (s.endsWith("_id}") ? "12345" : "tok") : s).toList());
            assertEquals(endpoint, RouteMatch.resolve(endpoint.method(), path).endpoint(), endpoint.toString());
        }
    }
}
