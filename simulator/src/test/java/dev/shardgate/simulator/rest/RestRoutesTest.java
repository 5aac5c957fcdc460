package dev.shardgate.simulator.rest;

import static dev.shardgate.simulator.rest.SimulatorServer.body;
import static dev.shardgate.simulator.rest.SimulatorServer.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardgate.protocol.Snowflake;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RestRoutesTest {
    private SimulatorServer sim;

    @BeforeEach
    void start() throws Exception {
        sim = new SimulatorServer();
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    @Test
    void createdMessageCanBeFetchedEditedAndDeleted() throws Exception {
        HttpResponse<String> created = sim.json("POST", "channels/820675644227723272/messages",
                "{\"content\":\"pong\",\"nonce\":\"42\"}");
        assertEquals(200, created.statusCode());
        assertEquals("1.1 google", header(created, "Via"));
        assertEquals("application/json", header(created, "Content-Type"));
        JsonNode message = body(created);
        assertEquals("pong", message.get("content").asText());
        assertEquals("820675644227723272", message.get("channel_id").asText());
        assertEquals("42", message.get("nonce").asText());
        assertTrue(message.get("author").get("bot").asBoolean());
        long id = Snowflake.parse(message.get("id").asText());
        assertTrue(Math.abs(Snowflake.timestampMillis(id) - sim.clock.millis()) < 1000, "id carries the current time");

        String path = "channels/820675644227723272/messages/" + Long.toUnsignedString(id);
        assertEquals("pong", body(sim.get(path)).get("content").asText());

        HttpResponse<String> edited = sim.json("PATCH", path, "{\"content\":\"pong!\"}");
        assertEquals(200, edited.statusCode());
        assertEquals("pong!", body(edited).get("content").asText());
        assertFalse(body(edited).get("edited_timestamp").isNull());

        assertEquals(204, sim.delete(path).statusCode());
        HttpResponse<String> gone = sim.get(path);
        assertEquals(404, gone.statusCode());
        assertEquals(10008, body(gone).get("code").asInt());
    }

    @Test
    void messageInAnotherChannelIsUnknown() throws Exception {
        String id = body(sim.json("POST", "channels/1/messages", "{\"content\":\"a\"}")).get("id").asText();
        assertEquals(404, sim.get("channels/2/messages/" + id).statusCode());
    }

    @Test
    void unknownRouteAnswersDiscordsNotFound() throws Exception {
        HttpResponse<String> response = sim.get("channels/1/nonsense");
        assertEquals(404, response.statusCode());
        assertEquals("404: Not Found", body(response).get("message").asText());
        assertEquals(0, body(response).get("code").asInt());
        assertNull(header(response, "X-RateLimit-Bucket"));
    }

    @Test
    void knownPathWithWrongMethodIs405() throws Exception {
        assertEquals(405, sim.json("POST", "users/@me", "{}").statusCode());
    }

    @Test
    void badJsonIs50109AndNonSnowflakeIdIs50035() throws Exception {
        HttpResponse<String> badJson = sim.json("POST", "channels/1/messages", "{\"content\":");
        assertEquals(400, badJson.statusCode());
        assertEquals(50109, body(badJson).get("code").asInt());

        HttpResponse<String> badId = sim.get("channels/abc");
        assertEquals(400, badId.statusCode());
        assertEquals(50035, body(badId).get("code").asInt());
        assertTrue(body(badId).get("errors").has("channel_id"));
    }

    @Test
    void messageRulesAreEnforced() throws Exception {
        HttpResponse<String> empty = sim.json("POST", "channels/1/messages", "{\"content\":\"\"}");
        assertEquals(400, empty.statusCode());
        assertEquals(50006, body(empty).get("code").asInt());

        HttpResponse<String> tooLong = sim.json("POST", "channels/1/messages",
                "{\"content\":\"" + "x".repeat(2001) + "\"}");
        assertEquals(400, tooLong.statusCode());
        assertEquals(50035, body(tooLong).get("code").asInt());
        assertEquals("BASE_TYPE_MAX_LENGTH",
                body(tooLong).at("/errors/content/_errors/0/code").asText());
    }

    @Test
    void missingOrWrongAuthorizationIs401() throws Exception {
        HttpResponse<String> missing = sim.send(sim.request("users/@me").GET().build());
        assertEquals(401, missing.statusCode());
        assertEquals("401: Unauthorized", body(missing).get("message").asText());
        assertEquals(0, body(missing).get("code").asInt());
        assertEquals("1.1 google", header(missing, "Via"));

        HttpResponse<String> wrong = sim.send(sim.request("users/@me").header("Authorization", "Bot wrong").GET().build());
        assertEquals(401, wrong.statusCode());
        HttpResponse<String> noPrefix = sim.send(sim.request("users/@me")
                .header("Authorization", SimulatorServer.TOKEN).GET().build());
        assertEquals(401, noPrefix.statusCode());
        assertEquals(3, sim.rest.observations().invalidRequests("127.0.0.1"));
    }

    @Test
    void startupCallsOfClientLibrariesAnswer() throws Exception {
        JsonNode me = body(sim.get("users/@me"));
        assertEquals(Long.toUnsignedString(sim.rest.botUserId()), me.get("id").asText());
        assertTrue(me.get("bot").asBoolean());
        JsonNode app = body(sim.get("oauth2/applications/@me"));
        assertEquals(me.get("id").asText(), app.get("id").asText());
        assertEquals(200, sim.get("applications/@me").statusCode());
        String commands = "applications/" + me.get("id").asText() + "/commands";
        HttpResponse<String> put = sim.json("PUT", commands, "[{\"name\":\"ping\",\"description\":\"pong\"}]");
        assertEquals(200, put.statusCode());
        assertEquals("ping", body(sim.get(commands)).get(0).get("name").asText());
    }

    @Test
    void interactionCallbackNeedsNoAuthorizationAndAcknowledgesOnce() throws Exception {
        String path = "interactions/1535218705838137353/aW50ZXJhY3Rpb246dGVzdA/callback";
        HttpResponse<String> first = sim.postWithoutAuth(path, "{\"type\":4,\"data\":{\"content\":\"pong\"}}");
        assertEquals(204, first.statusCode());
        assertEquals("", first.body());
        HttpResponse<String> second = sim.postWithoutAuth(path, "{\"type\":4,\"data\":{\"content\":\"pong\"}}");
        assertEquals(400, second.statusCode());
        assertEquals(40060, body(second).get("code").asInt());

        String original = "webhooks/" + sim.rest.botUserId() + "/aW50ZXJhY3Rpb246dGVzdA/messages/@original";
        HttpResponse<String> fetched = sim.send(sim.request(original).GET().build());
        assertEquals(200, fetched.statusCode());
        assertEquals("pong", body(fetched).get("content").asText());
        HttpResponse<String> edited = sim.send(sim.request(original).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"content\":\"edited\"}")).build());
        assertEquals("edited", body(edited).get("content").asText());
    }

    @Test
    void followUpsReturnTheMessageAndOrdinaryWebhooksOnlyWithWait() throws Exception {
        HttpResponse<String> followUp = sim.postWithoutAuth("webhooks/" + sim.rest.botUserId()
                + "/aW50ZXJhY3Rpb246dGVzdA", "{\"content\":\"later\"}");
        assertEquals(200, followUp.statusCode());
        String id = body(followUp).get("id").asText();
        assertEquals("later", body(sim.send(sim.request("webhooks/" + sim.rest.botUserId()
                + "/aW50ZXJhY3Rpb246dGVzdA/messages/" + id).GET().build())).get("content").asText());

        assertEquals(204, sim.postWithoutAuth("webhooks/555/tok", "{\"content\":\"x\"}").statusCode());
        assertEquals(200, sim.postWithoutAuth("webhooks/555/tok?wait=true", "{\"content\":\"x\"}").statusCode());
    }

    @Test
    void membersRolesTypingAndReactions() throws Exception {
        JsonNode member = body(sim.get("guilds/820674996354555911/members/820674996354555912"));
        assertEquals("820674996354555912", member.get("user").get("id").asText());
        assertEquals(3, body(sim.get("guilds/820674996354555911/members?limit=3")).size());
        JsonNode patched = body(sim.json("PATCH", "guilds/820674996354555911/members/820674996354555912",
                "{\"nick\":\"neo\"}"));
        assertEquals("neo", patched.get("nick").asText());

        JsonNode role = body(sim.json("POST", "guilds/820674996354555911/roles", "{\"name\":\"mods\"}"));
        assertEquals(204, sim.put("guilds/820674996354555911/members/820674996354555912/roles/"
                + role.get("id").asText()).statusCode());
        assertEquals(role.get("id").asText(), body(sim.get("guilds/820674996354555911/members/820674996354555912"))
                .get("roles").get(0).asText());
        assertEquals(2, body(sim.get("guilds/820674996354555911/roles")).size());

        assertEquals(204, sim.json("POST", "channels/7/typing", "").statusCode());

        String id = body(sim.json("POST", "channels/7/messages", "{\"content\":\"react\"}")).get("id").asText();
        assertEquals(204, sim.put("channels/7/messages/" + id + "/reactions/%F0%9F%91%8D/@me").statusCode());
        JsonNode reacted = body(sim.get("channels/7/messages/" + id));
        assertEquals("👍", reacted.get("reactions").get(0).get("emoji").get("name").asText());
        assertTrue(reacted.get("reactions").get(0).get("me").asBoolean());
    }
}
