package dev.shardgate.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.shardgate.proxy.gateway.ShardStatus;
import dev.shardgate.proxy.rest.RestStatus;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntFunction;
import java.util.zip.GZIPOutputStream;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Admin HTTP (CONTRACT.md, {@code ADMIN_PORT}): {@code /healthz}, {@code /readyz}, {@code /metrics},
 * {@code /shards}, {@code /shards/startup} (start-up progress: {@code /shards} stays the array CONTRACT.md
 * promises), the status page at {@code /} and its data at {@code /status}. Readiness: every shard of
 * {@code SHARD_IDS} served, that is READY or RESUMED here, or waiting for its lease while another instance owns it
 * (a pod that surges in beside the one it replaces is ready, or the rollout could never proceed); and at least one
 * shard known (before {@code /gateway/bot} answers the shard list is empty and the process is not ready).
 *
 * <p>On Jetty, like the REST role: at most {@link #MAX_CONNECTIONS} connections (over it the kernel queues new
 * ones), and a connection that sends nothing for {@link #IDLE_TIMEOUT} is closed (Jetty checks idleness once per
 * timeout, so within twice that), so stuck scrapers or slow clients cannot hold the health checks' port for long.
 * Only GET and HEAD; a request body is never read.
 *
 * <p>Threads: Jetty's acceptor and selector ({@code admin-http}, platform) and one virtual thread per request.
 */
public final class AdminServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Smaller answers are not worth compressing; {@code /status} of 2,000 shards shrinks about tenfold. */
    private static final int GZIP_ABOVE = 1024;
    /** Probes, a Prometheus scraper and a few status pages: far more than enough, and bounded. */
    static final int MAX_CONNECTIONS = 64;
    /** Probes open a connection per check and scrapers every 15 s or more: keeping idle ones longer buys nothing. */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(5);

    private final Server server;
    private final ServerConnector connector;
    private final ExecutorService requests;
    private final GatewayView gateway;
    private final PrometheusMeterRegistry registry;
    private final StatusReport report;
    private final StatusPage page = StatusPage.load();

    private AdminServer(int port, PrometheusMeterRegistry registry, String instanceId, GatewayView gateway) {
        this.gateway = gateway;
        this.registry = registry;
        this.report = new StatusReport(instanceId, gateway, registry, Clock.systemUTC());
        this.requests = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("admin-request").factory());
        QueuedThreadPool threads = new QueuedThreadPool(4, 1);
        threads.setName("admin-http");
        threads.setVirtualThreadsExecutor(requests);
        this.server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        this.connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setPort(port);
        connector.setIdleTimeout(IDLE_TIMEOUT.toMillis());
        server.addConnector(connector);
        NetworkConnectionLimit limit = new NetworkConnectionLimit(MAX_CONNECTIONS, connector);
        limit.setEndPointIdleTimeout(IDLE_TIMEOUT.toMillis());
        server.addBean(limit);
        server.setHandler(new Routes());
    }

    /**
     * @param instanceId this process's {@code INSTANCE_ID}, shown on the status page
     * @param gateway the gateway role's state; null when this process runs no gateway role (then always ready)
     */
    public static AdminServer start(int port, PrometheusMeterRegistry registry, String instanceId,
            GatewayView gateway) throws IOException {
        AdminServer admin = new AdminServer(port, registry, instanceId, gateway);
        try {
            admin.server.start();
        } catch (Exception e) {
            admin.close();
            throw e instanceof IOException io ? io : new IOException("the admin server could not start on port "
                    + port + ": " + e.getMessage(), e);
        }
        return admin;
    }

    /**
     * Shows the REST role on the status page from now on (it starts after the admin server, which must answer
     * health checks first).
     *
     * @param rest the REST role's status with at most the given number of buckets
     */
    public void attachRest(IntFunction<CompletableFuture<RestStatus>> rest) {
        report.attachRest(rest);
    }

    /** The routes; blocking (the status waits for the roles' threads), so Jetty runs them on virtual threads. */
    private final class Routes extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String method = request.getMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
                send(request, response, callback, 405, "text/plain", "method not allowed\n");
                return true;
            }
            switch (Request.getPathInContext(request)) {
                case "/" -> {
                    response.getHeaders().put("Content-Security-Policy", page.contentSecurityPolicy());
                    response.getHeaders().put("X-Content-Type-Options", "nosniff");
                    response.getHeaders().put("Referrer-Policy", "no-referrer");
                    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
                    send(request, response, callback, 200, "text/html; charset=utf-8", page.html());
                }
                case "/status" -> {
                    String body;
                    try {
                        body = JSON.writeValueAsString(report.json());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        send(request, response, callback, 503, "text/plain", "shutting down\n");
                        return true;
                    }
                    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
                    send(request, response, callback, 200, "application/json", body);
                }
                case "/healthz" -> send(request, response, callback, 200, "text/plain", "ok\n");
                case "/readyz" -> readiness(request, response, callback);
                case "/metrics" -> send(request, response, callback, 200, "text/plain; version=0.0.4; charset=utf-8",
                        registry.scrape());
                case "/shards" -> {
                    ArrayNode array = JSON.createArrayNode();
                    if (gateway != null) {
                        gateway.shards().forEach(st -> array.add(st.toJson()));
                    }
                    send(request, response, callback, 200, "application/json", JSON.writeValueAsString(array));
                }
                case "/shards/startup" -> {
                    if (gateway == null) {
                        send(request, response, callback, 404, "text/plain", "no gateway role in this process\n");
                    } else {
                        send(request, response, callback, 200, "application/json",
                                JSON.writeValueAsString(gateway.startup().toJson()));
                    }
                }
                default -> send(request, response, callback, 404, "text/plain", "not found\n");
            }
            return true;
        }
    }

    private void readiness(Request request, Response response, Callback callback) {
        List<ShardStatus> list = gateway == null ? List.of() : gateway.shards();
        boolean ready = gateway == null || (!list.isEmpty() && list.stream().allMatch(ShardStatus::isServed));
        String detail = list.stream().filter(st -> !st.isServed())
                .map(st -> "shard " + st.id() + " " + st.state() + (st.reason() == null ? "" : ": " + st.reason()))
                .reduce((a, b) -> a + "\n" + b).orElse(list.isEmpty() && gateway != null
                        ? "shards not known yet (waiting for /gateway/bot or NATS)" : "");
        send(request, response, callback, ready ? 200 : 503, "text/plain",
                ready ? "ready\n" : "not ready\n" + detail + "\n");
    }

    private static void send(Request request, Response response, Callback callback, int status, String type,
            String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        if (bytes.length > GZIP_ABOVE && acceptsGzip(request)) {
            bytes = gzip(bytes);
            response.getHeaders().put(HttpHeader.CONTENT_ENCODING, "gzip");
            response.getHeaders().put(HttpHeader.VARY, "Accept-Encoding");
        }
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        boolean head = request.getMethod().equals("HEAD");
        response.write(true, head ? null : ByteBuffer.wrap(bytes), callback);
    }

    private static boolean acceptsGzip(Request request) {
        for (HttpField f : request.getHeaders().getFields(HttpHeader.ACCEPT_ENCODING)) {
            if (f.getValue().toLowerCase(Locale.ROOT).contains("gzip")) {
                return true;
            }
        }
        return false;
    }

    private static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 4);
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException inMemory) {
            throw new IllegalStateException("gzip into memory failed", inMemory);
        }
        return out.toByteArray();
    }

    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            System.getLogger(AdminServer.class.getName()).log(System.Logger.Level.WARNING,
                    "the admin server did not stop cleanly: {0}", e.toString());
        }
        requests.shutdownNow();
    }
}
