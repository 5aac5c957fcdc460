package dev.shardgate.worker.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * Discord's REST API through the REST proxy ({@code REST_PROXY_URL}), which adds the bot token and paces
 * requests by Discord's rate limits, so workers hold no token and never coordinate limits themselves.
 * Typed helpers cover the common calls; {@link #request} covers the rest. Blocking and thread-safe: call it
 * from handler (virtual) threads. Errors are {@link RestException}s; a handler that lets one escape gets its
 * event redelivered with backoff.
 */
public final class RestClient {
    /** The REST proxy's shared-secret header, sent when {@code REST_PROXY_SECRET} is set. */
    public static final String SECRET_HEADER = "X-Shardgate-Secret";
    /** The proxy may hold a request while a rate limit resets, so allow for that. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    /** {@link RestException#status()} of a request this client refused to send (see {@link #guarded}). */
    public static final int STATUS_NOT_SENT = -1;
    private static final Pattern TOKEN_IN_ROUTE = Pattern.compile("(/(?:interactions|webhooks)/\\d+/)[^/?]+");

    private final URI base;
    private final Optional<String> secret;
    private final MeterRegistry registry;
    private final HttpClient http;
    private final BooleanSupplier guard;
    private final Optional<Instant> answerBy;
    private final ObjectMapper json;

    /** @param json writes request bodies and reads answers */
    public RestClient(URI base, Optional<String> secret, MeterRegistry registry, ObjectMapper json) {
        // HTTP/1.1 on plain http: the JDK's h2c upgrade attempt is answered 400 by some servers.
        this(base, secret, registry, json, Optional.empty(), HttpClient.newBuilder().version("https".equalsIgnoreCase(base.getScheme())
                ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build(),
                () -> true);
    }

    private RestClient(URI base, Optional<String> secret, MeterRegistry registry, ObjectMapper json,
            Optional<Instant> answerBy, HttpClient http, BooleanSupplier guard) {
        this.answerBy = answerBy;
        this.json = json;
        this.base = base;
        this.secret = secret;
        this.registry = registry;
        this.http = http;
        this.guard = guard;
    }

    /**
     * The same client (sharing its connections) that sends a request only while {@code guard} holds: an ordered-mode
     * handler's, whose replica may lose the event's shard while the handler runs.
     */
    public RestClient guarded(BooleanSupplier guard) {
        return new RestClient(base, secret, registry, json, answerBy, http, guard);
    }

    /**
     * The same client that sends no interaction callback after {@code answerBy}: an interaction handler's, whose
     * first answer Discord refuses after 3 s. A late answer is not sent and throws (status
     * {@link #STATUS_NOT_SENT}, a transient failure), so the worker counts the event as too old.
     */
    public RestClient answeringBy(Optional<Instant> answerBy) {
        return new RestClient(base, secret, registry, json, answerBy, http, guard);
    }

    /** {@code POST /channels/{channel_id}/messages} with {@code {"content": ...}}. */
    public JsonNode createMessage(String channelId, String content) throws RestException, InterruptedException {
        return createMessage(channelId, json.createObjectNode().put("content", content));
    }

    public JsonNode createMessage(String channelId, ObjectNode message) throws RestException, InterruptedException {
        return request("POST", "/channels/" + id(channelId) + "/messages", message).json();
    }

    public JsonNode editMessage(String channelId, String messageId, ObjectNode changes)
            throws RestException, InterruptedException {
        return request("PATCH", "/channels/" + id(channelId) + "/messages/" + id(messageId), changes).json();
    }

    public void deleteMessage(String channelId, String messageId) throws RestException, InterruptedException {
        request("DELETE", "/channels/" + id(channelId) + "/messages/" + id(messageId), null);
    }

    /** Adds the bot's reaction; {@code emoji} is a unicode emoji or {@code name:id} for a custom one. */
    public void addReaction(String channelId, String messageId, String emoji) throws RestException, InterruptedException {
        request("PUT", reaction(channelId, messageId, emoji), null);
    }

    public void deleteOwnReaction(String channelId, String messageId, String emoji)
            throws RestException, InterruptedException {
        request("DELETE", reaction(channelId, messageId, emoji), null);
    }

    /** {@code POST /interactions/{id}/{token}/callback}: the initial response, due within 3 s. */
    public void interactionCallback(String interactionId, String token, ObjectNode response)
            throws RestException, InterruptedException {
        String route = "/interactions/" + id(interactionId) + "/" + token(token) + "/callback";
        if (answerBy.isPresent() && Instant.now().isAfter(answerBy.get())) {
            throw new RestException("POST " + redact(route) + " not sent: the interaction's answer was due by "
                    + answerBy.get(), STATUS_NOT_SENT, "");
        }
        request("POST", route, response);
    }

    /** Answers an interaction with a message ({@code {"type":4,"data":{"content":...}}}). */
    public void replyToInteraction(String interactionId, String token, String content)
            throws RestException, InterruptedException {
        ObjectNode response = json.createObjectNode().put("type", 4);
        response.putObject("data").put("content", content);
        interactionCallback(interactionId, token, response);
    }

    /**
     * {@code PUT /applications/{application_id}/commands}: the bot's global slash commands become exactly these.
     *
     * @param commands a JSON array of application command objects, as Discord documents them
     */
    public JsonNode overwriteGlobalCommands(String applicationId, String commands)
            throws RestException, InterruptedException {
        JsonNode body;
        try {
            body = json.readTree(commands);
        } catch (IOException e) {
            throw new IllegalArgumentException("the commands are not JSON: " + e.getMessage(), e);
        }
        if (!body.isArray()) {
            throw new IllegalArgumentException("the commands must be a JSON array");
        }
        return request("PUT", "/applications/" + id(applicationId) + "/commands", body).json();
    }

    /** {@code POST /webhooks/{application_id}/{token}}: a follow-up message after the initial response. */
    public JsonNode createFollowup(String applicationId, String token, ObjectNode message)
            throws RestException, InterruptedException {
        return request("POST", "/webhooks/" + id(applicationId) + "/" + token(token), message).json();
    }

    /** {@code PATCH /webhooks/{application_id}/{token}/messages/@original}. */
    public JsonNode editOriginalResponse(String applicationId, String token, ObjectNode changes)
            throws RestException, InterruptedException {
        return request("PATCH", "/webhooks/" + id(applicationId) + "/" + token(token) + "/messages/@original",
                changes).json();
    }

    /**
     * Any call: {@code route} is the path under {@code /api/v10}, e.g. {@code /channels/1/messages}.
     *
     * @param body sent as JSON, or nothing when null
     * @return the answer when its status is 2xx
     */
    public RestResponse request(String method, String route, JsonNode body) throws RestException, InterruptedException {
        if (!route.startsWith("/")) {
            throw new IllegalArgumentException("a route starts with '/': " + route);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + route)).timeout(REQUEST_TIMEOUT);
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            try {
                request.method(method, HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)))
                        .header("Content-Type", "application/json");
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot serialise the request body: " + e.getMessage(), e);
            }
        }
        secret.ifPresent(s -> request.header(SECRET_HEADER, s));
        if (!guard.getAsBoolean()) {
            throw new RestException(method + " " + redact(route) + " not sent: this replica no longer holds the event's "
                    + "shard (another replica runs it now)", STATUS_NOT_SENT, "");
        }
        Timer.Sample sample = Timer.start(registry);
        HttpResponse<byte[]> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            record(sample, method, "timeout");
            throw new RestException(method + " " + redact(route) + ": REST proxy at " + base + " did not answer within "
                    + REQUEST_TIMEOUT, 0, "");
        } catch (IOException e) {
            record(sample, method, "unreachable");
            throw new RestException(method + " " + redact(route) + ": REST proxy at " + base + " unreachable: " + e, 0,
                    "");
        }
        record(sample, method, Integer.toString(response.statusCode()));
        if (response.statusCode() / 100 != 2) {
            String text = new String(response.body(), StandardCharsets.UTF_8);
            throw new RestException(method + " " + redact(route) + " answered " + response.statusCode() + ": "
                    + (text.length() > 500 ? text.substring(0, 500) + "..." : text), response.statusCode(), text);
        }
        return new RestResponse(response.statusCode(), response.headers(), response.body(), json);
    }

    private void record(Timer.Sample sample, String method, String status) {
        sample.stop(Timer.builder("shardgate.worker.rest.requests").description("REST calls through the REST proxy")
                .tag("method", method).tag("status", status).register(registry));
    }

    /** The route without interaction and webhook tokens, which are credentials and must not reach the logs. */
    static String redact(String route) {
        return TOKEN_IN_ROUTE.matcher(route).replaceAll("$1:token");
    }

    private static String reaction(String channelId, String messageId, String emoji) {
        return "/channels/" + id(channelId) + "/messages/" + id(messageId) + "/reactions/"
                + URLEncoder.encode(emoji, StandardCharsets.UTF_8).replace("+", "%20") + "/@me";
    }

    /** Path ids are snowflakes; anything else would change the route. */
    private static String id(String id) {
        if (id == null || id.isEmpty() || !id.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("not a Discord id: '" + id + "'");
        }
        return id;
    }

    private static String token(String token) {
        if (token == null || token.isEmpty() || token.contains("/") || token.contains("?") || token.contains("#")) {
            throw new IllegalArgumentException("not an interaction token");
        }
        return token;
    }
}
