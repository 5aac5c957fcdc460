package dev.shardgate.worker.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.testkit.NatsServerProcess;
import dev.shardgate.worker.FakeRestProxy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("process")
class RestClientTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private FakeRestProxy proxy;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void setUp() throws Exception {
        proxy = new FakeRestProxy();
    }

    @AfterEach
    void tearDown() {
        proxy.close();
    }

    private RestClient client(Optional<String> secret) {
        return new RestClient(URI.create(proxy.url()), secret, registry, JSON);
    }

    @Test
    void typedHelpersSendDiscordsRoutesAndBodies() throws Exception {
        RestClient rest = client(Optional.empty());
        assertEquals("1", rest.createMessage("42", "pong").path("id").asText());
        rest.replyToInteraction("9", "tok-en", "pong");
        proxy.answer(204, "");
        rest.addReaction("42", "7", "👍");
        rest.deleteMessage("42", "7");

        var r = proxy.requests();
        assertEquals(new FakeRestProxy.Request("POST", "/api/v10/channels/42/messages", "{\"content\":\"pong\"}", null,
                r.get(0).at()), r.get(0));
        assertEquals("/api/v10/interactions/9/tok-en/callback", r.get(1).path());
        assertEquals(JSON.readTree("{\"type\":4,\"data\":{\"content\":\"pong\"}}"), JSON.readTree(r.get(1).body()));
        assertEquals("PUT", r.get(2).method());
        assertEquals("/api/v10/channels/42/messages/7/reactions/%F0%9F%91%8D/@me", r.get(2).path());
        assertEquals("DELETE", r.get(3).method());
        assertNull(r.get(0).secret(), "no secret header unless configured");
    }

    @Test
    void sendsTheSecretHeaderWhenConfigured() throws Exception {
        client(Optional.of("0123456789abcdef")).deleteMessage("1", "2");
        assertEquals("0123456789abcdef", proxy.requests().get(0).secret());
    }

    @Test
    void discordErrorsBecomeTypedExceptionsWithStatusAndBody() {
        proxy.answer(403, "{\"code\":50013,\"message\":\"Missing Permissions\"}");
        RestException e = assertThrows(RestException.class, () -> client(Optional.empty()).createMessage("1", "x"));
        assertEquals(403, e.status());
        assertTrue(e.getMessage().contains("Missing Permissions"));
        assertFalse(e.retryable());
    }

    @Test
    void aRestProxyThatIsDownIsARetryableErrorAndCounted() {
        RestClient rest = new RestClient(URI.create("http://127.0.0.1:" + NatsServerProcess.freePort() + "/api/v10"),
                Optional.empty(), registry, JSON);
        RestException e = assertThrows(RestException.class, () -> rest.createMessage("1", "x"));
        assertEquals(0, e.status());
        assertTrue(e.retryable());
        assertTrue(e.getMessage().contains("unreachable"), e.getMessage());
        assertEquals(1, registry.get("shardgate.worker.rest.requests").tag("status", "unreachable").timer().count());
    }

    @Test
    void interactionTokensNeverAppearInErrors() {
        proxy.answer(404, "{\"code\":10062,\"message\":\"Unknown interaction\"}");
        RestException e = assertThrows(RestException.class,
                () -> client(Optional.empty()).replyToInteraction("9", "secret-token", "pong"));
        assertFalse(e.getMessage().contains("secret-token"), e.getMessage());
        assertTrue(e.getMessage().contains("/interactions/9/:token/callback"), e.getMessage());
        assertEquals("/webhooks/1/:token/messages/@original", RestClient.redact("/webhooks/1/abc/messages/@original"));
    }

    @Test
    void aGuardedClientSendsNothingOnceItsGuardFails() throws Exception {
        boolean[] held = {true};
        RestClient guarded = client(Optional.empty()).guarded(() -> held[0]);
        guarded.deleteMessage("1", "2");
        held[0] = false;
        RestException e = assertThrows(RestException.class, () -> guarded.createMessage("1", "late"));
        assertEquals(RestClient.STATUS_NOT_SENT, e.status());
        assertTrue(e.getMessage().contains("no longer holds the event's shard"), e.getMessage());
        assertEquals(1, proxy.requests().size(), "only the call made while the guard held reached the proxy");
    }

    @Test
    void idsThatWouldChangeTheRouteAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> client(Optional.empty()).deleteMessage("1/../2", "3"));
        assertTrue(proxy.requests().isEmpty());
    }
}
