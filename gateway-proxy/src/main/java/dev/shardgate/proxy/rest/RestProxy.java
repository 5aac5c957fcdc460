package dev.shardgate.proxy.rest;

import com.sun.net.httpserver.HttpServer;
import dev.shardgate.protocol.BotToken;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.proxy.config.ProxyConfig;
import dev.shardgate.proxy.rest.limit.ActorScheduler;
import dev.shardgate.proxy.rest.limit.Limiter;
import dev.shardgate.proxy.rest.limit.LimiterMetrics;
import dev.shardgate.proxy.rest.limit.RateLimiter;
import dev.shardgate.proxy.rest.shared.ShareMode;
import dev.shardgate.proxy.rest.shared.SharedLimiter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The REST role: an HTTP proxy in front of Discord's API that paces requests by Discord's limits.
 *
 * <p>Threads: the HTTP server and the HTTP client run on virtual threads, one per request; the limiter owns one
 * platform thread ({@code rest-limiter}); the client watch owns {@code rest-client-watch}; {@code rest-timeouts}
 * cuts off clients that send their body too slowly. {@link #close()} stops all of them.
 */
public final class RestProxy implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(RestProxy.class.getName());
    private final HttpServer server;
    private final ExecutorService requests;
    private final ActorScheduler scheduler;
    private final HttpClient client;
    private final ClientWatch watch;
    private final SharedLimiter shared;
    private final ScheduledExecutorService timeouts;
    private final Limiter local;

    private RestProxy(HttpServer server, ExecutorService requests, ActorScheduler scheduler, HttpClient client,
                      ClientWatch watch, SharedLimiter shared, ScheduledExecutorService timeouts, Limiter local) {
        this.server = server;
        this.local = local;
        this.requests = requests;
        this.scheduler = scheduler;
        this.client = client;
        this.watch = watch;
        this.shared = shared;
        this.timeouts = timeouts;
    }

    /** Starts serving on {@code REST_PORT} (0 in the config disables it, but then this is not called). */
    public static RestProxy start(ProxyConfig config, MeterRegistry registry) throws IOException {
        return start(RestConfig.from(config.source()), config.token(), config.apiUrl(),
                new InetSocketAddress(config.restPort()), registry, config.natsUrls(), config.subjects());
    }

    /**
     * Starts serving on the given address (port 0 picks a free one) in front of {@code apiUrl}; with
     * {@code REST_SHARE_LIMITS} on, shares the limits with the other replicas through NATS.
     */
    public static RestProxy start(RestConfig config, BotToken token, URI apiUrl, InetSocketAddress bind,
                                  MeterRegistry registry, List<String> natsUrls, Subjects subjects)
            throws IOException {
        HttpServer server = HttpServer.create(bind, 1024);
        ActorScheduler scheduler = new ActorScheduler();
        Limiter local = new Limiter(scheduler, config, new LimiterMetrics(registry));
        SharedLimiter shared = config.shareLimits()
                ? SharedLimiter.start(config, local, natsUrls, subjects, registry) : null;
        RateLimiter limiter = shared != null ? shared : local;
        ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
        HttpClient client = HttpClient.newBuilder()
                .version("https".equals(apiUrl.getScheme()) ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(requests)
                .build();
        ClientWatch watch = new ClientWatch(server.getAddress().getPort());
        ScheduledThreadPoolExecutor timeouts = new ScheduledThreadPoolExecutor(1,
                r -> Thread.ofPlatform().daemon().name("rest-timeouts").unstarted(r));
        // A cut-off cancelled because the body arrived leaves the queue at once instead of after REST_CLIENT_TIMEOUT.
        timeouts.setRemoveOnCancelPolicy(true);
        server.createContext("/", new RestHandler(config, apiUrl, token, limiter, client, watch,
                new RestMetrics(registry), timeouts, new HeldRequests(config.queueMax(), config.queueMaxBytes(), registry)));
        server.setExecutor(requests);
        server.start();
        LOG.log(System.Logger.Level.INFO, "REST proxy listening on {0} in front of {1}; {2}",
                server.getAddress(), apiUrl, config);
        return new RestProxy(server, requests, scheduler, client, watch, shared, timeouts, local);
    }

    /** The bound port. */
    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * The limiter's state with its {@code maxBuckets} busiest buckets, for the status page; completes on the limiter
     * thread, or fails once the proxy is closed.
     */
    public CompletableFuture<RestStatus> status(int maxBuckets) {
        ShareMode mode = shared == null ? null : shared.mode();
        return local.status(maxBuckets).thenApply(l -> new RestStatus(port(), mode, l));
    }

    /** The shared limits of this replica, when {@code REST_SHARE_LIMITS} is on. */
    java.util.Optional<SharedLimiter> shared() {
        return java.util.Optional.ofNullable(shared);
    }

    @Override
    public void close() {
        server.stop(0);
        if (shared != null) {
            shared.close();
        }
        watch.close();
        client.shutdownNow();
        requests.shutdownNow();
        timeouts.shutdownNow();
        scheduler.close();
    }
}
