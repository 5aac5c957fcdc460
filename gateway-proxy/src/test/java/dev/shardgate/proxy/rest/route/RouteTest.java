package dev.shardgate.proxy.rest.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.protocol.Snowflake;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RouteTest {
    private static final long NOW = 1_786_095_017_284L;

    private static Route parse(String method, String path) throws BadRouteException {
        return Route.parse(method, path, NOW, new byte[0]);
    }

    @Test
    void idsBecomePlaceholdersAndTheMajorParameterIsKeptAside() throws BadRouteException {
        Route r = parse("POST", "/channels/820675644227723272/messages");
        assertEquals("POST /channels/:id/messages", r.template());
        assertEquals(new MajorParameter("channel", "820675644227723272"), r.major());
        assertFalse(r.globalExempt());
        Route g = parse("GET", "/guilds/333/members/444");
        assertEquals("GET /guilds/:id/members/:id", g.template());
        assertEquals("guild:333", g.major().toString());
        assertEquals(MajorParameter.NONE, parse("GET", "/users/@me").major());
    }

    @Test
    void everyReactionRouteOfAChannelSharesOneTemplate() throws BadRouteException {
        Route own = parse("PUT", "/channels/111/messages/999/reactions/%F0%9F%91%8D/@me");
        Route user = parse("PUT", "/channels/111/messages/999/reactions/custom:123/456");
        assertEquals("PUT /channels/:id/messages/:id/reactions/:reaction", own.template());
        assertEquals(own.template(), user.template());
    }

    @Test
    void messageDeletesAreSplitByTheMessagesAge() throws BadRouteException {
        long old = Snowflake.fromTimestampMillis(NOW - Duration.ofDays(15).toMillis());
        long recent = Snowflake.fromTimestampMillis(NOW - Duration.ofHours(1).toMillis());
        long fresh = Snowflake.fromTimestampMillis(NOW - 2_000);
        String base = "DELETE /channels/:id/messages/:id";
        assertEquals(base + " (older than 14d)", parse("DELETE", "/channels/1/messages/" + old).template());
        assertEquals(base, parse("DELETE", "/channels/1/messages/" + recent).template());
        assertEquals(base + " (younger than 10s)", parse("DELETE", "/channels/1/messages/" + fresh).template());
        assertEquals("GET /channels/:id/messages/:id", parse("GET", "/channels/1/messages/" + old).template());
    }

    @Test
    void interactionRoutesAreExemptFromTheGlobalLimitAndKeepNoToken() throws BadRouteException {
        Route callback = parse("POST", "/interactions/123/aW50ZXJhY3Rpb246c2VjcmV0/callback");
        assertTrue(callback.globalExempt());
        assertEquals("POST /interactions/:id/:token/callback", callback.template());
        assertEquals("interaction:123", callback.major().toString());
        Route followUp = parse("PATCH", "/webhooks/99/aW50ZXJhY3Rpb246c2VjcmV0/messages/@original");
        assertTrue(followUp.globalExempt());
        assertEquals("PATCH /webhooks/:id/:token/messages/@original", followUp.template());
        assertFalse(followUp.major().toString().contains("c2VjcmV0"), "the token is fingerprinted");
        Route webhook = parse("POST", "/webhooks/99/plain-webhook-token");
        assertFalse(webhook.globalExempt(), "only interaction webhooks are documented as exempt");
        assertTrue(webhook.major().value().startsWith("99:"));
        assertFalse(webhook.major().value().contains("plain-webhook-token"));
    }

    @Test
    void onlyChannelEditsThatRenameCarryTheRenameSublimit() throws BadRouteException {
        assertEquals(Optional.of("channel name/topic edit"),
                Route.parse("PATCH", "/channels/5", NOW, "{\"topic\":\"t\"}".getBytes(StandardCharsets.UTF_8)).sublimit());
        assertEquals(Optional.empty(), Route.parse("PATCH", "/channels/5", NOW,
                "{\"permission_overwrites\":[{\"name\":\"not top level\"}]}".getBytes(StandardCharsets.UTF_8)).sublimit());
        assertEquals(Optional.empty(), Route.parse("PATCH", "/channels/5", NOW, "not json".getBytes(StandardCharsets.UTF_8)).sublimit());
    }

    @Test
    void codesInPathsDoNotMakeNewTemplates() throws BadRouteException {
        assertEquals("GET /invites/:code", parse("GET", "/invites/discord-developers").template());
        assertEquals("GET /guilds/templates/:code", parse("GET", "/guilds/templates/hgM48av5Q69A").template());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/channels/../users/@me", "/channels/%2e%2E/x", "/channels/1//messages", "/./users",
        "/channels/1%2Fmessages", "/users/@me%0d%0aX-Evil:1", "/a b", "/", "relative", "/channels/%zz"})
    void pathsThatCouldEscapeOrConfuseAreRefused(String path) {
        assertThrows(BadRouteException.class, () -> parse("GET", path));
    }
}
