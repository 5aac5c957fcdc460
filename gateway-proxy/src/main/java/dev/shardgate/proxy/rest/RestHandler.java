package dev.shardgate.proxy.rest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.shardgate.protocol.BotToken;
import dev.shardgate.proxy.rest.limit.Answer;
import dev.shardgate.proxy.rest.limit.Permit;
import dev.shardgate.proxy.rest.limit.RateLimitScope;
import dev.shardgate.proxy.rest.limit.RateLimiter;
import dev.shardgate.proxy.rest.limit.Rejection;
import dev.shardgate.proxy.rest.limit.Ticket;
import dev.shardgate.proxy.rest.route.BadRouteException;
import dev.shardgate.proxy.rest.route.Route;
import dev.shardgate.proxy.rest.route.TokenId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One client request, top to bottom: check it, read its body, find its route, wait for a permit, send it to
 * Discord, tell the limiter the answer, retry a 429 (or a 5xx of an idempotent method) within the request's
 * deadline, and hand Discord's answer back unchanged. Runs on the HTTP server's virtual threads, one per request.
 */
final class RestHandler implements HttpHandler {
    static final String API_PREFIX = "/api/v10/";
    private static final System.Logger LOG = System.getLogger(RestHandler.class.getName());
    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");
    /** Methods Discord treats as idempotent: safe to send again after a 5xx or a broken connection. */
    private static final Set<String> IDEMPOTENT = Set.of("GET", "PUT", "DELETE");
    private static final int MAX_429_RETRIES = 3;
    /** Discord requires a {@code DiscordBot (url, version)} User-Agent; used when the client sends none. */
    static final String USER_AGENT = "DiscordBot (https://github.com/shardgate/shardgate, 0.1.0)";
    private static final int MAX_ERROR_BODY = 64 * 1024;
    private static final byte[] NO_BODY = new byte[0];
    private static final long RETRY_BACKOFF_NANOS = 250_000_000L;
    /** A permit granted within this time of its request reaching the limiter did not wait for any limit. */
    private static final long NO_WAIT_NANOS = 1_000_000L;

    private final RestConfig config;
    private final URI apiUrl;
    private final BotToken botToken;
    private final TokenId botTokenId;
    private final RateLimiter limiter;
    private final HttpClient client;
    private final ClientWatch watch;
    private final RestMetrics metrics;
    private final ScheduledExecutorService timeouts;
    private final HeldRequests held;

    RestHandler(RestConfig config, URI apiUrl, BotToken botToken, RateLimiter limiter, HttpClient client,
                ClientWatch watch, RestMetrics metrics, ScheduledExecutorService timeouts, HeldRequests held) {
        this.config = config;
        this.apiUrl = apiUrl;
        this.botToken = botToken;
        this.botTokenId = TokenId.of(botToken.authorization());
        this.limiter = limiter;
        this.client = client;
        this.watch = watch;
        this.metrics = metrics;
        this.timeouts = timeouts;
        this.held = held;
    }

    @Override
    public void handle(HttpExchange exchange) {
        try (exchange) {
            serve(exchange);
        } catch (ClientGoneException e) {
            metrics.request("client_gone", 499, true);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "client connection failed: {0}", e.getClass().getSimpleName());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "unexpected failure handling a REST request", e);
            reply(exchange, "internal", ProxyReply.error(500, "internal", "the proxy failed: " + e.getClass().getSimpleName()));
        }
    }

    private void serve(HttpExchange exchange) throws IOException, ClientGoneException {
        long started = System.nanoTime();
        String method = exchange.getRequestMethod();
        if (!METHODS.contains(method)) {
            reply(exchange, "invalid", ProxyReply.error(405, "bad_method", "method not allowed; Discord's API uses "
                    + "GET, POST, PUT, PATCH and DELETE"));
            return;
        }
        URI uri = exchange.getRequestURI();
        String rawPath = uri.getRawPath();
        if (rawPath == null || !rawPath.startsWith(API_PREFIX)) {
            reply(exchange, "invalid", ProxyReply.error(404, "not_api", "only paths under " + API_PREFIX
                    + " are proxied"));
            return;
        }
        if (!secretAccepted(exchange)) {
            reply(exchange, "invalid", ProxyReply.error(401, "bad_secret", "this proxy needs its secret in the "
                    + RestHeaders.SECRET + " header"));
            return;
        }
        String rawQuery = uri.getRawQuery();
        if (rawQuery != null && rawQuery.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
            reply(exchange, "invalid", ProxyReply.error(400, "bad_query", "the query has a control, space or "
                    + "non-ASCII character"));
            return;
        }
        Optional<byte[]> body;
        if (hasBody(exchange)) {
            // A client that sends its body too slowly is cut off instead of holding the request open for ever.
            ScheduledFuture<?> cutOff = timeouts.schedule(exchange::close, config.clientTimeout().toMillis(),
                    TimeUnit.MILLISECONDS);
            try {
                body = readBody(exchange);
            } finally {
                cutOff.cancel(false);
            }
        } else {
            body = Optional.of(NO_BODY);
        }
        if (body.isEmpty()) {
            reply(exchange, "invalid", ProxyReply.error(413, "body_too_large", "the request body is over "
                    + config.maxBodyBytes() + " bytes (Discord takes at most 25 MiB per request)"));
            return;
        }
        Route route;
        try {
            route = Route.parse(method, rawPath.substring(API_PREFIX.length() - 1), System.currentTimeMillis(),
                    body.get());
        } catch (BadRouteException e) {
            reply(exchange, "invalid", ProxyReply.error(400, "bad_path", e.getMessage()));
            return;
        }
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        TokenId token = authorization == null ? botTokenId : TokenId.of(authorization);
        HttpRequest request;
        try {
            request = upstreamRequest(exchange, rawPath, rawQuery, body.get(),
                    authorization == null ? botToken.authorization() : authorization);
        } catch (IllegalArgumentException e) {
            reply(exchange, route.template(), ProxyReply.error(400, "bad_header",
                    "a header name or value is not allowed (control characters, or a header the proxy manages)"));
            return;
        }
        OptionalWait wait = maxWait(exchange);
        if (wait.invalid) {
            reply(exchange, route.template(), ProxyReply.error(400, "bad_max_wait", RestHeaders.MAX_WAIT
                    + " must be a number of seconds"));
            return;
        }
        long deadline = Ticket.deadlineAfter(limiter.nanoTime(), wait.nanos);
        long size = body.get().length;
        if (!held.enter(size)) {
            reply(exchange, route.template(), ProxyReply.rejected(Rejection.Reason.QUEUE_FULL, 1));
            return;
        }
        try {
            forward(exchange, route, token, request, deadline, started);
        } finally {
            held.leave(size);
        }
    }

    private void forward(HttpExchange exchange, Route route, TokenId token, HttpRequest request, long deadline,
                         long started) throws IOException, ClientGoneException {
        boolean idempotent = IDEMPOTENT.contains(route.method());
        int rateLimitRetries = 0;
        int errorRetries = 0;
        long notBefore = 0;
        boolean retry = false;
        while (true) {
            Permit permit;
            try {
                permit = await(exchange, limiter.acquire(new Ticket(token, route, deadline, notBefore, retry)));
            } catch (Rejection r) {
                reply(exchange, route.template(), ProxyReply.rejected(r.reason(), r.retryAfterSeconds()));
                return;
            }
            long sentAt = System.nanoTime();
            HttpResponse<InputStream> response;
            try {
                response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                permit.lost();
                boolean timeout = e instanceof HttpTimeoutException;
                if (idempotent && errorRetries < config.retries()) {
                    errorRetries++;
                    notBefore = limiter.nanoTime() + RETRY_BACKOFF_NANOS * errorRetries;
                    retry = false;
                    continue;
                }
                reply(exchange, route.template(), ProxyReply.error(timeout ? 504 : 502,
                        timeout ? "upstream_timeout" : "upstream_unreachable",
                        timeout ? "Discord did not answer within " + config.upstreamTimeout().toMillis() + " ms"
                                : "Discord could not be reached (" + e.getClass().getSimpleName() + ")"));
                return;
            } catch (InterruptedException e) {
                permit.lost();
                Thread.currentThread().interrupt();
                throw new ClientGoneException();
            }
            long answeredAt = System.nanoTime();
            int status = response.statusCode();
            byte[] errorBody = status == 429 ? readAtMost(response.body(), MAX_ERROR_BODY) : null;
            Answer answer = Answer.parse(status, n -> response.headers().firstValue(n).orElse(null), errorBody);
            permit.complete(answer);
            if (status == 429 && answer.scope() != RateLimitScope.CLOUDFLARE && rateLimitRetries < MAX_429_RETRIES) {
                rateLimitRetries++;
                retry = true;
                // The limiter also blocks the bucket or token; this covers a request that has neither.
                notBefore = limiter.nanoTime() + Math.round(answer.retryAfterSeconds() * 1e9);
                continue;
            }
            if (status >= 500 && idempotent && errorRetries < config.retries()) {
                response.body().close();
                errorRetries++;
                notBefore = limiter.nanoTime() + RETRY_BACKOFF_NANOS * errorRetries;
                retry = false;
                continue;
            }
            relay(exchange, response, errorBody);
            if (permit.waitedNanos() < NO_WAIT_NANOS && rateLimitRetries == 0 && errorRetries == 0) {
                metrics.overhead((System.nanoTime() - started) - (answeredAt - sentAt));
            }
            metrics.request(route.template(), status, false);
            return;
        }
    }

    /** Waits for the permit; if the client hangs up meanwhile, its request leaves the queue. */
    private Permit await(HttpExchange exchange, CompletableFuture<Permit> pending) throws Rejection,
            ClientGoneException {
        Object key = new Object();
        watch.watch(key, exchange.getRemoteAddress(), () -> pending.cancel(false));
        try {
            return pending.get();
        } catch (CancellationException e) {
            throw new ClientGoneException();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Rejection r) {
                throw r;
            }
            throw new IllegalStateException("the limiter failed", e.getCause());
        } catch (InterruptedException e) {
            pending.cancel(false);
            Thread.currentThread().interrupt();
            throw new ClientGoneException();
        } finally {
            watch.unwatch(key);
        }
    }

    private HttpRequest upstreamRequest(HttpExchange exchange, String rawPath, String rawQuery, byte[] body,
                                        String authorization) {
        String target = apiUrl + rawPath.substring(API_PREFIX.length() - 1) + (rawQuery == null ? "" : "?" + rawQuery);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target)).timeout(config.upstreamTimeout())
                .method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
            if (RestHeaders.forwardRequest(h.getKey()) && !h.getKey().equalsIgnoreCase("Authorization")) {
                for (String v : h.getValue()) {
                    b.header(h.getKey(), v);
                }
            }
        }
        b.header("Authorization", authorization);
        if (!exchange.getRequestHeaders().containsKey("User-Agent")) {
            b.header("User-Agent", USER_AGENT);
        }
        return b.build();
    }

    private void relay(HttpExchange exchange, HttpResponse<InputStream> response, byte[] readBody) throws IOException {
        var out = exchange.getResponseHeaders();
        response.headers().map().forEach((name, values) -> {
            if (RestHeaders.forwardResponse(name)) {
                out.put(name, values);
            }
        });
        int status = response.statusCode();
        boolean noBody = status == 204 || status == 304;
        if (readBody != null) {
            exchange.sendResponseHeaders(status, noBody || readBody.length == 0 ? -1 : readBody.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(readBody);
            }
            return;
        }
        long length = response.headers().firstValueAsLong("Content-Length").orElse(0);
        try (InputStream in = response.body(); OutputStream o = exchange.getResponseBody()) {
            exchange.sendResponseHeaders(status, noBody || (length == 0 && response.headers()
                    .firstValue("Content-Length").isPresent()) ? -1 : length);
            if (!noBody) {
                in.transferTo(o);
            }
        }
    }

    private boolean secretAccepted(HttpExchange exchange) {
        if (config.secret().isEmpty()) {
            return true;
        }
        String presented = exchange.getRequestHeaders().getFirst(RestHeaders.SECRET);
        return presented != null && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                config.secret().get().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Whether the request has a body to read (HTTP/1.1: a {@code Content-Length} above 0 or a
     * {@code Transfer-Encoding}); most requests, GETs, have none and need no cut-off timer.
     */
    private static boolean hasBody(HttpExchange exchange) {
        var headers = exchange.getRequestHeaders();
        String length = headers.getFirst("Content-Length");
        return headers.containsKey("Transfer-Encoding") || (length != null && !length.trim().equals("0"));
    }

    /** The whole body, or empty when it is over the limit (it is then not read further). */
    private Optional<byte[]> readBody(HttpExchange exchange) throws IOException {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            try {
                if (Long.parseLong(declared.trim()) > config.maxBodyBytes()) {
                    return Optional.empty();
                }
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        }
        byte[] body = readAtMost(exchange.getRequestBody(), config.maxBodyBytes() + 1);
        return body.length > config.maxBodyBytes() ? Optional.empty() : Optional.of(body);
    }

    private static byte[] readAtMost(InputStream in, long max) throws IOException {
        try (in) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            byte[] chunk = new byte[16 * 1024];
            int n;
            while (buffer.size() < max && (n = in.read(chunk, 0, (int) Math.min(chunk.length, max - buffer.size()))) > 0) {
                buffer.write(chunk, 0, n);
            }
            return buffer.toByteArray();
        }
    }

    private record OptionalWait(long nanos, boolean invalid) { }

    private OptionalWait maxWait(HttpExchange exchange) {
        long configured = config.maxWait().map(Duration::toNanos).orElse(Ticket.NO_DEADLINE);
        String asked = exchange.getRequestHeaders().getFirst(RestHeaders.MAX_WAIT);
        if (asked == null) {
            return new OptionalWait(configured, false);
        }
        try {
            double seconds = Double.parseDouble(asked.trim());
            if (!Double.isFinite(seconds) || seconds < 0) {
                return new OptionalWait(0, true);
            }
            return new OptionalWait(Math.min(configured, Math.round(seconds * 1e9)), false);
        } catch (NumberFormatException e) {
            return new OptionalWait(0, true);
        }
    }

    private void reply(HttpExchange exchange, String route, ProxyReply reply) {
        try {
            reply.send(exchange);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not answer the client: {0}", e.getClass().getSimpleName());
        }
        metrics.request(route, reply.status(), true);
    }

    /** The client hung up; there is nobody to answer. */
    private static final class ClientGoneException extends Exception {
        private static final long serialVersionUID = 1L;

        ClientGoneException() {
            super("client gone", null, false, false);
        }
    }
}
