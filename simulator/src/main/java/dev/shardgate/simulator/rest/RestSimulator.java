package dev.shardgate.simulator.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.shardgate.protocol.BotToken;
import dev.shardgate.protocol.Snowflake;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Discord's REST API as the simulator serves it, under {@code /api/v10/} (except {@code /gateway/bot}), with
 * Discord's documented rate limits: per-route buckets keyed by hash and major parameter, the global limit,
 * shared-scope 429s, sublimits and the invalid-request (Cloudflare) ban. {@link #handle} reads top to bottom
 * in the order the checks apply.
 *
 * <p>Threads: it owns none. The HTTP server's threads call {@link #handle} concurrently; the limiters, the
 * store, the faults and the observations each guard their own state. Injected latency sleeps the calling
 * thread, so the server should run handlers on virtual threads.
 */
public final class RestSimulator implements HttpHandler {
    private static final System.Logger LOG = System.getLogger(RestSimulator.class.getName());
    private static final Duration OLD_MESSAGE_AGE = Duration.ofDays(14);

    private final BotToken botToken;
    private final BooleanSupplier tokenReset;
    private final RestSettings settings;
    private final Clock clock;
    private final Buckets buckets = new Buckets();
    private final GlobalLimit globalLimit;
    private final InvalidRequestLimit invalidRequests;
    private final Faults faults;
    private final RestObservations observations;
    private final DiscordObjects objects;
    private final DiscordState state;
    private final SnowflakeGenerator ids;
    private final EndpointHandlers handlers;
    private volatile RequestObserver observer = (method, rawPath, body, arrivedNanos) -> { };

    /** Told of every request as it arrives (but those refused by an IP ban), for benchmarks that time requests. */
    @FunctionalInterface
    public interface RequestObserver {
        /**
         * Called on the request's HTTP thread once its body is read, before any limit applies; must return quickly.
         *
         * @param body the request body, or null when it is over the size limit
         * @param arrivedNanos {@link System#nanoTime()} when the simulator began handling the request
         */
        void arrived(String method, String rawPath, byte[] body, long arrivedNanos);
    }

    public RestSimulator(String botToken) {
        this(botToken, RestSettings.defaults(), Clock.systemUTC());
    }

    public RestSimulator(String botToken, RestSettings settings, Clock clock) {
        this(botToken, settings, clock, () -> false);
    }

    /**
     * @param tokenReset whether Discord has reset the bot token (the gateway's session-start budget ran out,
     *     discord-gateway.md §8.3); from then on the old token gets 401 on every route that needs it
     */
    public RestSimulator(String botToken, RestSettings settings, Clock clock, BooleanSupplier tokenReset) {
        this.botToken = BotToken.of(botToken);
        this.tokenReset = tokenReset;
        this.settings = settings;
        this.clock = clock;
        this.globalLimit = new GlobalLimit(settings.globalLimit());
        this.invalidRequests = new InvalidRequestLimit(settings);
        this.faults = new Faults(clock);
        this.observations = new RestObservations(clock, invalidRequests);
        this.objects = new DiscordObjects(DiscordObjects.BOT_ID);
        this.state = new DiscordState(objects.botId());
        this.ids = new SnowflakeGenerator(clock);
        this.handlers = new EndpointHandlers(objects, state, ids, settings);
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        Reply reply;
        try {
            reply = respond(exchange);
        } catch (ConnectionDropped dropped) {
            // Closing an exchange before its headers were sent closes the connection: the injected fault.
            LOG.log(Level.DEBUG, dropped.getMessage());
            exchange.close();
            return;
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "REST simulator failed on " + exchange.getRequestMethod() + " "
                    + exchange.getRequestURI().getRawPath(), e);
            reply = Reply.error(new DiscordError(500, 0, "500: Internal Server Error"));
        }
        send(exchange, reply);
    }

    private Reply respond(HttpExchange exchange) throws IOException {
        long arrivedNanos = System.nanoTime();
        long now = clock.millis();
        String ip = exchange.getRemoteAddress().getAddress().getHostAddress();
        long banned = invalidRequests.banRemainingMillis(ip, now);
        if (banned > 0) {
            observations.countRateLimited(RateLimitScope.CLOUDFLARE);
            drain(exchange.getRequestBody());
            return Reply.cloudflareBan(banned);
        }
        byte[] body = readBody(exchange.getRequestBody());
        observer.arrived(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), body, arrivedNanos);

        RouteMatch route;
        try {
            route = RouteMatch.resolve(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath());
        } catch (DiscordError e) {
            pause(faults.latency());
            return Reply.error(e);
        }
        Reply reply = limitAndHandle(exchange, route, ip, body, now);
        pause(faults.latencyOf(route.endpoint()));
        return reply;
    }

    /** Authentication, the global limit, injected failures, the bucket, shared limits, sublimits, the handler. */
    private Reply limitAndHandle(HttpExchange exchange, RouteMatch route, String ip, byte[] body, long now) {
        Endpoint endpoint = route.endpoint();
        boolean authorized = isBotAuthorization(exchange.getRequestHeaders().getFirst("Authorization"));
        if (endpoint.auth() == Auth.BOT && !authorized) {
            return invalid(ip, now, Reply.error(DiscordError.unauthorized()));
        }

        if (!route.globalExempt(objects.botId())) {
            String identity = authorized ? RestObservations.tokenIdentity(botToken.reveal())
                    : RestObservations.ipIdentity(ip);
            observations.globalRequest(identity, now);
            WindowState global = globalLimit.acquire(identity, now);
            if (!global.admitted()) {
                observations.countRateLimited(RateLimitScope.GLOBAL);
                return invalid(ip, now, Reply.rateLimited(RateLimitScope.GLOBAL, global.retryAfterMillis(),
                        "You are being rate limited."));
            }
        }

        int failure = faults.takeFailure(endpoint);
        if (failure == Faults.Failure.DROP) {
            throw new ConnectionDropped(endpoint);
        }
        if (failure > 0) {
            return countIfInvalid(ip, now, Reply.error(new DiscordError(failure, 0, failure + ": injected failure")));
        }

        RouteBucket bucket = bucketOf(route, now);
        String resource = route.resource();
        WindowState window = buckets.acquire(bucket, resource, now);
        observations.requestCounted(BucketKey.of(bucket, resource), now);
        if (!window.admitted()) {
            observations.countRateLimited(RateLimitScope.USER);
            return invalid(ip, now, Reply.rateLimited(RateLimitScope.USER, window.retryAfterMillis(),
                    "You are being rate limited.").withBucket(bucket, window));
        }
        long shared = faults.sharedRemainingMillis(resource, now);
        if (shared > 0) {
            observations.countRateLimited(RateLimitScope.SHARED);
            return Reply.rateLimited(RateLimitScope.SHARED, shared, "The resource is being rate limited.")
                    .withBucket(bucket, window);
        }
        if (endpoint == Endpoint.MODIFY_CHANNEL && renames(body)) {
            WindowState rename = buckets.acquire(RouteBucket.CHANNEL_RENAME, resource, now);
            if (!rename.admitted()) {
                observations.countRateLimited(RateLimitScope.USER);
                return invalid(ip, now, Reply.rateLimited(RateLimitScope.USER, rename.retryAfterMillis(),
                        "You are being rate limited.").withBucket(bucket, window));
            }
        }
        if (body == null) {
            return Reply.error(DiscordError.entityTooLarge()).withBucket(bucket, window);
        }

        RestRequest request = new RestRequest(route, RestRequest.parseQuery(exchange.getRequestURI().getRawQuery()),
                exchange.getRequestHeaders().getFirst("Content-Type"), body, now);
        try {
            Answer answer = handlers.handle(request);
            return Reply.discord(answer.status(), answer.body()).withBucket(bucket, window);
        } catch (DiscordError e) {
            return countIfInvalid(ip, now, Reply.error(e).withBucket(bucket, window));
        }
    }

    /** Deletes of messages older than 14 days by their snowflake count against a bucket of their own. */
    private RouteBucket bucketOf(RouteMatch route, long now) {
        if (route.endpoint() == Endpoint.DELETE_MESSAGE
                && Snowflake.timestampMillis(route.snowflake("message_id")) < now - OLD_MESSAGE_AGE.toMillis()) {
            return RouteBucket.DELETE_OLD_MESSAGE;
        }
        return route.endpoint().bucket();
    }

    /** Whether a channel edit changes the name or topic (the sublimited fields); bad JSON is the handler's. */
    private static boolean renames(byte[] body) {
        if (body == null || body.length == 0) {
            return false;
        }
        try {
            JsonNode json = Json.parse(body);
            return json.has("name") || json.has("topic");
        } catch (DiscordError e) {
            return false;
        }
    }

    private boolean isBotAuthorization(String header) {
        if (header == null || !header.startsWith("Bot ") || tokenReset.getAsBoolean()) {
            return false;
        }
        try {
            return botToken.matches(header);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private Reply countIfInvalid(String ip, long now, Reply reply) {
        int status = reply.status();
        return status == 401 || status == 403 || status == 429 ? invalid(ip, now, reply) : reply;
    }

    private Reply invalid(String ip, long now, Reply reply) {
        observations.countInvalid();
        invalidRequests.record(ip, now);
        LOG.log(Level.DEBUG, "invalid request from {0}: {1}", ip, reply.status());
        return reply;
    }

    /** The body, or null when it is larger than the request limit (the excess is read and discarded). */
    private byte[] readBody(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(chunk)) >= 0) {
            total += n;
            if (total > settings.maxRequestBytes()) {
                drain(in);
                return null;
            }
            out.write(chunk, 0, n);
        }
        return out.toByteArray();
    }

    private static void drain(InputStream in) throws IOException {
        in.transferTo(OutputStream.nullOutputStream());
    }

    private static void pause(Duration delay) {
        if (!delay.isZero()) {
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void send(HttpExchange exchange, Reply reply) throws IOException {
        reply.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
        byte[] body = reply.body();
        exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
        try (var out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    // ---- control and observation, for tests and benchmarks ----

    public RestObservations observations() {
        return observations;
    }

    public Faults faults() {
        return faults;
    }

    public RestSettings settings() {
        return settings;
    }

    /** Replaces the observer of arriving requests (one at a time; the default ignores them). */
    public void observe(RequestObserver observer) {
        this.observer = observer;
    }

    /** Resizes a bucket (for every major parameter); open windows of it are dropped. */
    public void setBucketLimit(RouteBucket bucket, int limit, Duration window) {
        setBucketLimit(bucket, new RateLimit(limit, window));
    }

    /** Changes a bucket's limit, fixed or sliding ({@link RateLimit#sliding}); windows already open are dropped. */
    public void setBucketLimit(RouteBucket bucket, RateLimit limit) {
        buckets.setLimit(bucket, limit);
        LOG.log(Level.INFO, "bucket {0} set to {1} per {2} ms{3}", bucket, Integer.toString(limit.limit()),
                Long.toString(limit.window().toMillis()), limit.sliding() ? ", sliding" : "");
    }

    public RateLimit bucketLimit(RouteBucket bucket) {
        return buckets.limit(bucket);
    }

    /** The bot's user id, also its application id (the simulated gateway's READY names the same). */
    public long botUserId() {
        return objects.botId();
    }

    /**
     * Deletes a webhook, as a guild admin would: from now on every request under {@code /webhooks/{id}} answers
     * 404 {@code 10015 Unknown Webhook}.
     */
    public void deleteWebhook(long webhookId) {
        state.deleteWebhook(webhookId);
    }

    /** Stores a message with a chosen id (e.g. one older than 14 days), as if it had been sent long ago. */
    public void putMessage(long channelId, long messageId, String content) {
        ObjectNode payload = Json.MAPPER.createObjectNode().put("content", content);
        state.putMessage(messageId, objects.message(messageId, channelId, payload, List.of(), ids, null));
    }

    /** Thrown inside {@link #respond} to leave a request without an answer; {@link #handle} drops the connection. */
    static final class ConnectionDropped extends RuntimeException {
        ConnectionDropped(Endpoint endpoint) {
            super("injected connection drop on " + endpoint, null, false, false);
        }
    }
}
