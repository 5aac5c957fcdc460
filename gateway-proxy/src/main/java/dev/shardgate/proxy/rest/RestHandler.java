package dev.shardgate.proxy.rest;

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
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.QuietException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One client request, top to bottom: check it, read its body, find its route, wait for a permit, send it to
 * Discord, tell the limiter the answer, retry a 429 (or a 5xx of an idempotent method) within the request's
 * deadline, and hand Discord's answer back unchanged. A Jetty handler that blocks: Jetty runs each request on a
 * virtual thread of its own ({@code rest-request}), which this handler owns until it completes the callback.
 */
final class RestHandler extends Handler.Abstract {
    static final String API_PREFIX = "/api/v10/";
    private static final System.Logger LOG = System.getLogger(RestHandler.class.getName());
    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE");
    /** Methods Discord treats as idempotent: safe to send again after a 5xx or a broken connection. */
    private static final Set<String> IDEMPOTENT = Set.of("GET", "PUT", "DELETE");
    private static final int MAX_429_RETRIES = 3;
    /** Discord requires a {@code DiscordBot (url, version)} User-Agent; used when the client sends none. */
    static final String USER_AGENT = "DiscordBot (https://github.com/shardgate/shardgate, 0.1.0)";
    private static final int MAX_ERROR_BODY = 64 * 1024;
    private static final long RETRY_BACKOFF_NANOS = 250_000_000L;
    /** A permit granted within this time of its request reaching the limiter did not wait for any limit. */
    private static final long NO_WAIT_NANOS = 1_000_000L;
    /**
     * Most permits come within microseconds; only a request still waiting after this has its connection watched
     * for a hang-up, which costs two changes of the selector's interest set.
     */
    private static final long WATCH_AFTER_NANOS = 2_000_000L;

    private final RestConfig config;
    private final URI apiUrl;
    private final BotToken botToken;
    private final TokenId botTokenId;
    private final RateLimiter limiter;
    private final HttpClient client;
    private final RestMetrics metrics;
    private final HeldRequests held;

    RestHandler(RestConfig config, URI apiUrl, BotToken botToken, RateLimiter limiter, HttpClient client,
                RestMetrics metrics, HeldRequests held) {
        this.config = config;
        this.apiUrl = apiUrl;
        this.botToken = botToken;
        this.botTokenId = TokenId.of(botToken.authorization());
        this.limiter = limiter;
        this.client = client;
        this.metrics = metrics;
        this.held = held;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        // A request may wait for a permit as long as its client waits: the connection's idle timeout must not end
        // it (it still cuts off a client that stops sending its body or reading its answer).
        request.addIdleTimeoutListener(t -> false);
        try {
            serve(request, response);
            callback.succeeded();
        } catch (ClientGoneException e) {
            metrics.request("client_gone", 499, true);
            callback.failed(e);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "client connection failed: {0}", e.getClass().getSimpleName());
            callback.failed(e);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "unexpected failure handling a REST request", e);
            if (response.isCommitted()) {
                callback.failed(e);
            } else {
                response.reset();
                ProxyReply.error(500, "internal", "the proxy failed: " + e.getClass().getSimpleName())
                        .send(response, callback);
                metrics.request("internal", 500, true);
            }
        }
        return true;
    }

    private void serve(Request request, Response response) throws IOException, ClientGoneException {
        long started = System.nanoTime();
        String method = request.getMethod();
        if (!METHODS.contains(method)) {
            reply(response, "invalid", ProxyReply.error(405, "bad_method", "method not allowed; Discord's API uses "
                    + "GET, POST, PUT, PATCH and DELETE"));
            return;
        }
        HttpURI uri = request.getHttpURI();
        String rawPath = uri.getPath();
        if (rawPath == null || !rawPath.startsWith(API_PREFIX)) {
            reply(response, "invalid", ProxyReply.error(404, "not_api", "only paths under " + API_PREFIX
                    + " are proxied"));
            return;
        }
        if (!secretAccepted(request)) {
            reply(response, "invalid", ProxyReply.error(401, "bad_secret", "this proxy needs its secret in the "
                    + RestHeaders.SECRET + " header"));
            return;
        }
        String rawQuery = uri.getQuery();
        if (rawQuery != null && rawQuery.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
            reply(response, "invalid", ProxyReply.error(400, "bad_query", "the query has a control, space or "
                    + "non-ASCII character"));
            return;
        }
        boolean hasBody = hasBody(request);
        long declared = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        if (declared > config.maxBodyBytes()) {
            tooLarge(response);
            return;
        }
        try (HeldRequests.Place place = held.enter(Math.max(0, declared))) {
            if (place == null) {
                if (hasBody) {
                    response.getHeaders().put(HttpHeader.CONNECTION, "close");
                }
                reply(response, "queue_full", ProxyReply.rejected(Rejection.Reason.QUEUE_FULL, 1));
                return;
            }
            try (RequestBody body = hasBody ? readBody(request, response, place) : RequestBody.EMPTY) {
                if (body != null) {
                    serve(request, response, method, rawPath, rawQuery, body, started);
                }
            }
        }
    }

    private void serve(Request request, Response response, String method, String rawPath, String rawQuery,
                       RequestBody body, long started) throws IOException, ClientGoneException {
        Route route;
        try {
            route = Route.parse(method, rawPath.substring(API_PREFIX.length() - 1), System.currentTimeMillis(),
                    body.inMemory());
        } catch (BadRouteException e) {
            reply(response, "invalid", ProxyReply.error(400, "bad_path", e.getMessage()));
            return;
        }
        String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        TokenId token = authorization == null ? botTokenId : TokenId.of(authorization);
        Upstream upstream = upstream(request, method, rawPath, rawQuery, body,
                authorization == null ? botToken.authorization() : authorization);
        OptionalWait wait = maxWait(request);
        if (wait.invalid) {
            reply(response, route.template(), ProxyReply.error(400, "bad_max_wait", RestHeaders.MAX_WAIT
                    + " must be a number of seconds"));
            return;
        }
        long deadline = Ticket.deadlineAfter(limiter.nanoTime(), wait.nanos);
        forward(request, response, route, token, upstream, deadline, started);
    }

    /**
     * The body, or null when the client was answered instead (too large, no room, too slow). A body that is not read
     * to its end leaves the connection unusable, so those answers close it.
     */
    private RequestBody readBody(Request request, Response response, HeldRequests.Place place)
            throws IOException, ClientGoneException {
        try {
            return RequestBody.read(request, config.maxBodyBytes(), config.spoolDir(),
                    System.nanoTime() + config.bodyTimeout().toNanos(), place);
        } catch (RequestBody.TooLargeException e) {
            tooLarge(response);
        } catch (RequestBody.NoRoomException e) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            reply(response, "queue_full", ProxyReply.rejected(Rejection.Reason.QUEUE_FULL, 1));
        } catch (TimeoutException e) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            reply(response, "invalid", ProxyReply.error(408, "body_timeout", "the request body did not arrive within "
                    + config.bodyTimeout().toMillis() + " ms"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ClientGoneException();
        }
        return null;
    }

    /** Ends an exchange that failed or whose client is gone. */
    @SuppressWarnings("FutureReturnValueIgnored") // Jetty's future says only whether this call did the abort: nothing to check
    private static void abort(org.eclipse.jetty.client.Request sent, Throwable why) {
        sent.abort(why);
    }

    private void tooLarge(Response response) {
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        reply(response, "invalid", ProxyReply.error(413, "body_too_large", "the request body is over "
                + config.maxBodyBytes() + " bytes (Discord takes at most 25 MiB per request)"));
    }

    private void forward(Request request, Response response, Route route, TokenId token, Upstream upstream,
                         long deadline, long started) throws IOException, ClientGoneException {
        boolean idempotent = IDEMPOTENT.contains(route.method());
        int rateLimitRetries = 0;
        int errorRetries = 0;
        long notBefore = 0;
        boolean retry = false;
        while (true) {
            Permit permit;
            try {
                permit = await(request, response, limiter.acquire(new Ticket(token, route, deadline, notBefore, retry)));
            } catch (Rejection r) {
                reply(response, route.template(), ProxyReply.rejected(r.reason(), r.retryAfterSeconds()));
                return;
            }
            long sentAt = System.nanoTime();
            InputStreamResponseListener listener = new InputStreamResponseListener();
            org.eclipse.jetty.client.Request sent;
            try {
                sent = upstream.newRequest();
            } catch (IOException e) {
                permit.lost();
                throw e;
            }
            sent.onRequestCommit(r -> permit.sent());
            sent.send(listener);
            org.eclipse.jetty.client.Response answer;
            try {
                // The request's own timeout fails the exchange; this wait only backs it up.
                answer = listener.get(config.upstreamTimeout().toMillis() + 1_000, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                abort(sent, e);
                permit.lost();
                boolean timeout = e instanceof TimeoutException || e.getCause() instanceof TimeoutException;
                if (idempotent && errorRetries < config.retries()) {
                    errorRetries++;
                    notBefore = limiter.nanoTime() + RETRY_BACKOFF_NANOS * errorRetries;
                    retry = false;
                    continue;
                }
                Throwable cause = e.getCause() == null ? e : e.getCause();
                reply(response, route.template(), ProxyReply.error(timeout ? 504 : 502,
                        timeout ? "upstream_timeout" : "upstream_unreachable",
                        timeout ? "Discord did not answer within " + config.upstreamTimeout().toMillis() + " ms"
                                : "Discord could not be reached (" + cause.getClass().getSimpleName() + ")"));
                return;
            } catch (InterruptedException e) {
                abort(sent, e);
                permit.lost();
                Thread.currentThread().interrupt();
                throw new ClientGoneException();
            }
            long answeredAt = System.nanoTime();
            int status = answer.getStatus();
            byte[] errorBody = status == 429 ? readAtMost(listener.getInputStream(), MAX_ERROR_BODY) : null;
            Answer parsed = Answer.parse(status, n -> answer.getHeaders().get(n), errorBody);
            permit.complete(parsed);
            if (status == 429 && parsed.scope() != RateLimitScope.CLOUDFLARE && rateLimitRetries < MAX_429_RETRIES) {
                rateLimitRetries++;
                retry = true;
                // The limiter also blocks the bucket or token; this covers a request that has neither.
                notBefore = limiter.nanoTime() + Math.round(parsed.retryAfterSeconds() * 1e9);
                continue;
            }
            if (status >= 500 && idempotent && errorRetries < config.retries()) {
                listener.getInputStream().close();
                errorRetries++;
                notBefore = limiter.nanoTime() + RETRY_BACKOFF_NANOS * errorRetries;
                retry = false;
                continue;
            }
            relay(response, answer, listener.getInputStream(), errorBody);
            if (permit.waitedNanos() < NO_WAIT_NANOS && rateLimitRetries == 0 && errorRetries == 0) {
                metrics.overhead((System.nanoTime() - started) - (answeredAt - sentAt));
            }
            metrics.request(route.template(), status, false);
            return;
        }
    }

    /** Waits for the permit; if the client hangs up meanwhile, its request leaves the queue at once. */
    private Permit await(Request request, Response response, CompletableFuture<Permit> pending) throws Rejection,
            ClientGoneException {
        HangUpWatch watch = null;
        try {
            try {
                return pending.get(WATCH_AFTER_NANOS, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                watch = HangUpWatch.start(request, () -> pending.cancel(false));
                return pending.get();
            }
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
            if (watch != null) {
                watch.stop();
                if (watch.pipelined()) {
                    response.getHeaders().put(HttpHeader.CONNECTION, "close");
                }
            }
        }
    }

    /**
     * What to send Discord, once per attempt: the client's headers with their values as written, minus hop-by-hop
     * ones.
     */
    private record Upstream(HttpClient client, String target, String method, List<HttpField> headers,
                            RequestBody body, long timeoutMillis) {
        org.eclipse.jetty.client.Request newRequest() throws IOException {
            return client.newRequest(target).method(method)
                    .timeout(timeoutMillis, TimeUnit.MILLISECONDS)
                    .headers(h -> headers.forEach(h::add))
                    .body(body.content());
        }
    }

    private Upstream upstream(Request request, String method, String rawPath, String rawQuery, RequestBody body,
                              String authorization) {
        String target = apiUrl + rawPath.substring(API_PREFIX.length() - 1) + (rawQuery == null ? "" : "?" + rawQuery);
        List<HttpField> headers = new ArrayList<>(request.getHeaders().size() + 2);
        boolean userAgent = false;
        for (HttpField h : request.getHeaders()) {
            String name = h.getName();
            if (RestHeaders.forwardRequest(name) && !name.equalsIgnoreCase("Authorization")) {
                headers.add(new HttpField(null, name, h.getValue()));
                userAgent |= name.equalsIgnoreCase("User-Agent");
            }
        }
        headers.add(new HttpField(HttpHeader.AUTHORIZATION, authorization));
        if (!userAgent) {
            headers.add(new HttpField(HttpHeader.USER_AGENT, USER_AGENT));
        }
        return new Upstream(client, target, method, headers, body, config.upstreamTimeout().toMillis());
    }

    /** Discord's answer, streamed: status, headers with their names as Discord wrote them, body. */
    private static void relay(Response response, org.eclipse.jetty.client.Response answer, InputStream body,
                              byte[] readBody) throws IOException {
        response.setStatus(answer.getStatus());
        HttpFields.Mutable out = response.getHeaders();
        for (HttpField h : answer.getHeaders()) {
            if (RestHeaders.forwardResponse(h.getName())) {
                out.add(new HttpField(null, h.getName(), h.getValue()));
            }
        }
        if (readBody != null) {
            out.put(HttpHeader.CONTENT_LENGTH, readBody.length);
            Content.Sink.write(response, true, ByteBuffer.wrap(readBody));
            return;
        }
        long length = answer.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        if (length >= 0) {
            out.put(HttpHeader.CONTENT_LENGTH, length);
        }
        try (InputStream in = body; OutputStream o = Content.Sink.asOutputStream(response)) {
            in.transferTo(o);
        }
    }

    private boolean secretAccepted(Request request) {
        if (config.secret().isEmpty()) {
            return true;
        }
        String presented = request.getHeaders().get(RestHeaders.SECRET);
        return presented != null && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                config.secret().get().getBytes(StandardCharsets.UTF_8));
    }

    /** Whether the request has a body to read: a {@code Content-Length} above 0 or a {@code Transfer-Encoding}. */
    private static boolean hasBody(Request request) {
        HttpFields headers = request.getHeaders();
        return headers.contains(HttpHeader.TRANSFER_ENCODING) || headers.getLongField(HttpHeader.CONTENT_LENGTH) > 0;
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

    private OptionalWait maxWait(Request request) {
        long configured = config.maxWait().map(Duration::toNanos).orElse(Ticket.NO_DEADLINE);
        String asked = request.getHeaders().get(RestHeaders.MAX_WAIT);
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

    private void reply(Response response, String route, ProxyReply reply) {
        try {
            reply.send(response);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not answer the client: {0}", e.getClass().getSimpleName());
        }
        metrics.request(route, reply.status(), true);
    }

    /** The client hung up; there is nobody to answer (quiet: Jetty does not log it as a failure). */
    private static final class ClientGoneException extends Exception implements QuietException {
        private static final long serialVersionUID = 1L;

        ClientGoneException() {
            super("client gone", null, false, false);
        }
    }
}
