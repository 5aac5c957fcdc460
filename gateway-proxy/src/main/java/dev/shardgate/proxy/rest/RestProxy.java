package dev.shardgate.proxy.rest;

import dev.shardgate.protocol.BotToken;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.proxy.config.ProxyConfig;
import dev.shardgate.proxy.rest.limit.ActorScheduler;
import dev.shardgate.proxy.rest.limit.Limiter;
import dev.shardgate.proxy.rest.limit.LimiterMetrics;
import dev.shardgate.proxy.rest.limit.RateLimiter;
import dev.shardgate.proxy.rest.route.TokenId;
import dev.shardgate.proxy.rest.shared.ShareMode;
import dev.shardgate.proxy.rest.shared.SharedLimiter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.HttpClientTransport;
import org.eclipse.jetty.client.transport.HttpClientConnectionFactory;
import org.eclipse.jetty.client.transport.HttpClientTransportDynamic;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.ClientConnectionFactoryOverHTTP2;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The REST role: an HTTP proxy in front of Discord's API that paces requests by Discord's limits.
 *
 * <p>Threads: the server's acceptor and selector ({@code rest-http-*}, a few platform threads) read and write the
 * clients' connections; each request runs on a virtual thread of its own ({@code rest-request}), which also waits
 * for Discord's answer; the HTTP client's selector and callbacks run on {@code rest-client-*} (platform threads,
 * they never block); the limiter's tasks run on the request's thread when the limiter is idle, otherwise and for its
 * timers on its own platform thread ({@code rest-limiter}, see {@link ActorScheduler}); the server's scheduler times out
 * slow headers. {@link #close()} stops all of them.
 */
public final class RestProxy implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RestProxy.class.getName());
    /** How long a kept-alive connection may sit idle between requests (and a client stall reading or writing). */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);
    /** Connections the kernel queues for accepting: those over {@code REST_MAX_CONNECTIONS} wait here. */
    static final int ACCEPT_QUEUE = 1024;
    /**
     * RFC 9110, but Discord's header lines that Jetty's client has in its cache of common ones keep their names'
     * case (others do anyway; over HTTP/2 every name arrives in lower case).
     */
    private static final HttpCompliance CASE_KEPT = HttpCompliance.RFC9110.with("RFC9110_CASE_KEPT",
            HttpCompliance.Violation.CASE_SENSITIVE_FIELD_NAME);
    private final Server server;
    private final ServerConnector connector;
    private final ExecutorService requests;
    private final ActorScheduler scheduler;
    private final HttpClient client;
    private final SharedLimiter shared;
    private final Limiter local;

    private RestProxy(Server server, ServerConnector connector, ExecutorService requests, ActorScheduler scheduler,
                      HttpClient client, SharedLimiter shared, Limiter local) {
        this.server = server;
        this.connector = connector;
        this.local = local;
        this.requests = requests;
        this.scheduler = scheduler;
        this.client = client;
        this.shared = shared;
    }

    /** Starts serving on {@code REST_PORT} (0 in the config disables it, but then this is not called). */
    public static RestProxy start(ProxyConfig config, MeterRegistry registry) throws IOException {
        return start(config.rest(), config.token(), config.apiUrl(),
                new InetSocketAddress(config.restPort()), registry, config.natsUrls(), config.subjects());
    }

    /**
     * Starts serving on the given address (port 0 picks a free one) in front of {@code apiUrl}; with
     * {@code REST_SHARE_LIMITS} on, shares the limits with the other replicas through NATS.
     */
    public static RestProxy start(RestConfig config, BotToken token, URI apiUrl, InetSocketAddress bind,
                                  MeterRegistry registry, List<String> natsUrls, Subjects subjects)
            throws IOException {
        ActorScheduler scheduler = new ActorScheduler();
        Limiter local = new Limiter(scheduler, config, new LimiterMetrics(registry));
        SharedLimiter shared = config.shareLimits()
                ? SharedLimiter.start(config, local, natsUrls, subjects, registry) : null;
        RateLimiter limiter = shared != null ? shared : local;
        ExecutorService requests = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("rest-request").factory());
        HttpClient client = upstreamClient(config, apiUrl);

        // Platform threads for accepting, selecting and Jetty's own non-blocking tasks; the handler blocks, so
        // Jetty runs it on the virtual threads.
        QueuedThreadPool threads = new QueuedThreadPool(16, 4);
        threads.setName("rest-http");
        threads.setVirtualThreadsExecutor(requests);
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        // Header values reach the handler as the client wrote them.
        http.setHeaderCacheCaseSensitive(true);
        ServerConnector connector = new ServerConnector(server, 1, 1,
                new RestConnectionFactory(http, config.headerTimeout()));
        connector.setHost(bind.getAddress() == null || bind.getAddress().isAnyLocalAddress() ? null
                : bind.getAddress().getHostAddress());
        connector.setPort(bind.getPort());
        connector.setIdleTimeout(IDLE_TIMEOUT.toMillis());
        connector.setAcceptQueueSize(ACCEPT_QUEUE);
        server.addConnector(connector);
        // Over the cap Jetty stops accepting (the kernel queues new connections) and gives idle connections only
        // the header timeout, so that kept-alive but unused ones make room.
        NetworkConnectionLimit limit = new NetworkConnectionLimit(config.maxConnections(), connector);
        limit.setEndPointIdleTimeout(config.headerTimeout().toMillis());
        server.addBean(limit);
        server.setErrorHandler(new JettyErrors());
        server.setHandler(new RestHandler(config, apiUrl, token, limiter, client, new RestMetrics(registry),
                new HeldRequests(config.queueMax(), config.queueMaxBytes(), registry)));
        try {
            start(client);
            server.start();
        } catch (Exception e) {
            stopQuietly(server);
            stopQuietly(client);
            if (shared != null) {
                shared.close();
            }
            requests.shutdownNow();
            scheduler.close();
            throw e instanceof IOException io ? io : new IOException("the REST proxy could not start", e);
        }
        LOG.log(System.Logger.Level.INFO, "REST proxy listening on {0}:{1} in front of {2}; the bot token''s "
                + "fingerprint (REST_TOKEN_GLOBAL_LIMITS names tokens by it) is {3}; {4}",
                bind.getAddress().getHostAddress(), Integer.toString(connector.getLocalPort()), apiUrl,
                TokenId.of(token.authorization()).fingerprint(), config);
        return new RestProxy(server, connector, requests, scheduler, client, shared, local);
    }

    /**
     * Jetty's client: for https, HTTP/2 negotiated by ALPN (HTTP/1.1 if the server declines), one multiplexed
     * connection; for plain http (the simulator, a local API), keep-alive HTTP/1.1. It adds nothing of its own (no
     * User-Agent, Accept-Encoding, cookies or content type) and keeps the case of Discord's header names (the
     * JDK's HttpClient lowercases them; HTTP/2 sends them lowercase anyway).
     */
    private static HttpClient upstreamClient(RestConfig config, URI apiUrl) {
        ClientConnector connector = new ClientConnector();
        connector.setSelectors(1);
        connector.setConnectTimeout(Duration.ofSeconds(5));
        HttpClientTransport transport;
        if ("https".equals(apiUrl.getScheme())) {
            connector.setSslContextFactory(new SslContextFactory.Client());
            transport = new HttpClientTransportDynamic(connector,
                    new ClientConnectionFactoryOverHTTP2.HTTP2(new HTTP2Client(connector)),
                    HttpClientConnectionFactory.HTTP11);
        } else {
            HttpClientTransportOverHTTP http1 = new HttpClientTransportOverHTTP(connector);
            // Its cache of common header lines would otherwise hand back e.g. "Content-Type" for "content-type".
            http1.setHeaderCacheCaseSensitive(true);
            transport = http1;
        }
        HttpClient client = new HttpClient(transport);
        // Platform threads: the client's callbacks only hand content to the waiting request thread.
        QueuedThreadPool threads = new QueuedThreadPool(8, 2);
        threads.setName("rest-client");
        client.setExecutor(threads);
        client.setFollowRedirects(false);
        client.setUserAgentField(null);
        client.setHttpCookieStore(new HttpCookieStore.Empty());
        client.setDefaultRequestContentType(null);
        client.setHttpCompliance(CASE_KEPT);
        client.setMaxConnectionsPerDestination(256);
        // The limiter bounds what is sent at once; the client must not refuse what it lets through.
        client.setMaxRequestsQueuedPerDestination(config.queueMax());
        return client;
    }

    /**
     * Starts the client, then removes what it installs on start: its decoders (bodies pass through encoded as
     * Discord sent them) and its protocol handlers (a 401 or a redirect goes back to the client as it came).
     */
    private static void start(HttpClient client) throws Exception {
        client.start();
        client.getContentDecoderFactories().clear();
        client.getProtocolHandlers().clear();
    }

    private static void stopQuietly(org.eclipse.jetty.util.component.LifeCycle part) {
        try {
            part.stop();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "the REST proxy's {0} did not stop cleanly: {1}", part, e.toString());
        }
    }

    /** The bound port. */
    public int port() {
        return connector.getLocalPort();
    }

    /**
     * The limiter's state with its {@code maxBuckets} busiest buckets, for the status page; completes on the limiter
     * thread, or fails once the proxy is closed.
     */
    public CompletableFuture<RestStatus> status(int maxBuckets) {
        ShareMode mode = shared == null ? null : shared.mode();
        return local.status(maxBuckets).thenApply(l -> new RestStatus(port(), mode, l));
    }

    /**
     * Answers for requests Jetty refuses before the handler sees them (a malformed request line or header, headers
     * over the size limit, a URI Jetty finds ambiguous): the proxy's JSON error shape, marked generated.
     */
    private static final class JettyErrors extends ErrorHandler {
        @Override
        public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
                              org.eclipse.jetty.util.Callback callback) {
            int status = request.getAttribute(ERROR_STATUS) instanceof Integer s ? s : 500;
            String message = request.getAttribute(ERROR_MESSAGE) instanceof String m ? m : "bad request";
            String reason = switch (status) {
                case 400 -> "bad_request";
                case 408 -> "timeout";
                case 413 -> "body_too_large";
                case 414 -> "uri_too_long";
                case 431 -> "headers_too_large";
                default -> "http_error";
            };
            ProxyReply.error(status, reason, message).send(response, callback);
            return true;
        }
    }

    /** The shared limits of this replica, when {@code REST_SHARE_LIMITS} is on. */
    java.util.Optional<SharedLimiter> shared() {
        return java.util.Optional.ofNullable(shared);
    }

    @Override
    public void close() {
        stopQuietly(server);
        if (shared != null) {
            shared.close();
        }
        stopQuietly(client);
        requests.shutdownNow();
        scheduler.close();
    }
}
