package dev.shardgate.proxy.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.protocol.Snowflake;
import dev.shardgate.simulator.rest.RestSettings;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Routes authenticated by a token in their path, against the simulator: Discord's 401 for an interaction token
 * past its 15 minutes never locks the bot's token and is not asked twice; a deleted webhook's 404 is remembered
 * and answered here, as Discord would, so the IP does not keep hitting it.
 */
@Tag("process")
class PathTokenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private SimulatedDiscord discord;
    private ProxyUnderTest proxy;

    @BeforeEach
    void start() {
        discord = new SimulatedDiscord(RestSettings.defaults().withInteractionTokenChecks(true));
        proxy = new ProxyUnderTest(discord.apiUrl(), Map.of());
    }

    @AfterEach
    void stop() {
        proxy.close();
        discord.close();
    }

    /** An interaction token as Discord issues it, for an interaction {@code age} ago. */
    private static String interactionToken(Duration age) {
        long id = Snowflake.fromTimestampMillis(System.currentTimeMillis() - age.toMillis());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("interaction:" + Long.toUnsignedString(id)
                + ":secret").getBytes(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> editOriginal(String token) {
        return proxy.send(proxy.request("/webhooks/" + discord.rest.botUserId() + "/" + token + "/messages/@original")
                .header("Content-Type", "application/json").method("PATCH", ProxyUnderTest.json("{\"content\":\"late\"}"))
                .build());
    }

    @Test
    void anExpiredInteractionTokenNeverLocksTheBotAndIsNotAskedTwice() throws Exception {
        String expired = interactionToken(Duration.ofMinutes(16));
        HttpResponse<String> first = editOriginal(expired);
        assertEquals(401, first.statusCode(), first.body());
        assertTrue(first.headers().firstValue(RestHeaders.GENERATED).isEmpty(), "Discord's own answer");
        assertEquals(50027, JSON.readTree(first.body()).path("code").asInt());

        HttpResponse<String> me = proxy.send(proxy.request("/users/@me").GET().build());
        assertEquals(200, me.statusCode(), "the bot's token is not locked by a 401 on a path token: " + me.body());

        HttpResponse<String> second = editOriginal(expired);
        assertEquals(401, second.statusCode());
        assertEquals("invalid_webhook_token", second.headers().firstValue(RestHeaders.REASON).orElseThrow());
        assertEquals(50027, JSON.readTree(second.body()).path("code").asInt(), "the code Discord libraries map");
        assertTrue(second.headers().firstValue("Retry-After").isEmpty(), "waiting will not help");
        assertEquals(1, discord.rest.observations().invalidRequestsTotal(), "Discord saw the dead token once");

        assertEquals(200, editOriginal(interactionToken(Duration.ofSeconds(1))).statusCode(),
                "a live token of the same application still goes");
    }

    @Test
    void aDeletedWebhooksFirst404IsRememberedForEveryToken() throws Exception {
        long webhook = 923456789012345678L;
        discord.rest.deleteWebhook(webhook);
        HttpRequest execute = proxy.request("/webhooks/" + webhook + "/hook-token").header("Content-Type",
                "application/json").POST(ProxyUnderTest.json("{\"content\":\"hi\"}")).build();
        HttpResponse<String> first = proxy.send(execute);
        assertEquals(404, first.statusCode(), first.body());
        assertTrue(first.headers().firstValue(RestHeaders.GENERATED).isEmpty(), "Discord's own answer");

        for (String path : new String[] {"/webhooks/" + webhook + "/hook-token",
                "/webhooks/" + webhook + "/other-token/messages/123456789012345678"}) {
            HttpResponse<String> again = proxy.send(proxy.request(path).GET().build());
            assertEquals(404, again.statusCode(), path);
            assertEquals("unknown_webhook", again.headers().firstValue(RestHeaders.REASON).orElseThrow(), path);
            assertEquals(10015, JSON.readTree(again.body()).path("code").asInt());
        }
        assertEquals(1, discord.rest.observations().requestCounts().entrySet().stream()
                .filter(e -> e.getKey().contains(Long.toString(webhook))).mapToInt(Map.Entry::getValue).sum(),
                "one request reached Discord: " + discord.rest.observations().requestCounts());
    }
}
