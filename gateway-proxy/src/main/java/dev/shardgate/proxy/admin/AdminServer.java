package dev.shardgate.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.shardgate.proxy.gateway.ShardStatus;
import dev.shardgate.proxy.rest.RestStatus;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntFunction;
import java.util.zip.GZIPOutputStream;

/**
 * Admin HTTP (CONTRACT.md, {@code ADMIN_PORT}): {@code /healthz}, {@code /readyz}, {@code /metrics},
 * {@code /shards}, {@code /shards/startup} (start-up progress: {@code /shards} stays the array CONTRACT.md
 * promises), the status page at {@code /} and its data at {@code /status}. Readiness: every shard of
 * {@code SHARD_IDS} served, that is READY or RESUMED here, or waiting for its lease while another instance owns it
 * (a pod that surges in beside the one it replaces is ready, or the rollout could never proceed); and at least one
 * shard known (before {@code /gateway/bot} answers the shard list is empty and the process is not ready).
 *
 * <p>Threads: the JDK HttpServer's dispatcher thread plus one virtual thread per request.
 */
public final class AdminServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Smaller answers are not worth compressing; {@code /status} of 2,000 shards shrinks about tenfold. */
    private static final int GZIP_ABOVE = 1024;

    private final HttpServer server;
    private final ExecutorService executor;
    private final GatewayView gateway;
    private final PrometheusMeterRegistry registry;
    private final StatusReport report;
    private final StatusPage page = StatusPage.load();

    private AdminServer(int port, PrometheusMeterRegistry registry, String instanceId, GatewayView gateway)
            throws IOException {
        this.gateway = gateway;
        this.registry = registry;
        this.report = new StatusReport(instanceId, gateway, registry, Clock.systemUTC());
        this.server = HttpServer.create(new InetSocketAddress(port), 64);
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (exchange) {
                handle(exchange);
            }
        });
    }

    /**
     * @param instanceId this process's {@code INSTANCE_ID}, shown on the status page
     * @param gateway the gateway role's state; null when this process runs no gateway role (then always ready)
     */
    public static AdminServer start(int port, PrometheusMeterRegistry registry, String instanceId,
            GatewayView gateway) throws IOException {
        AdminServer admin = new AdminServer(port, registry, instanceId, gateway);
        admin.server.start();
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

    private void handle(HttpExchange exchange) throws IOException {
        exchange.getRequestBody().readAllBytes();
        String method = exchange.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            send(exchange, 405, "text/plain", "method not allowed\n");
            return;
        }
        switch (exchange.getRequestURI().getPath()) {
            case "/" -> {
                exchange.getResponseHeaders().set("Content-Security-Policy", page.contentSecurityPolicy());
                exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
                exchange.getResponseHeaders().set("Referrer-Policy", "no-referrer");
                exchange.getResponseHeaders().set("Cache-Control", "no-cache");
                send(exchange, 200, "text/html; charset=utf-8", page.html());
            }
            case "/status" -> {
                String body;
                try {
                    body = JSON.writeValueAsString(report.json());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    send(exchange, 503, "text/plain", "shutting down\n");
                    return;
                }
                exchange.getResponseHeaders().set("Cache-Control", "no-store");
                send(exchange, 200, "application/json", body);
            }
            case "/healthz" -> send(exchange, 200, "text/plain", "ok\n");
            case "/readyz" -> readiness(exchange);
            case "/metrics" -> send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
            case "/shards" -> {
                ArrayNode array = JSON.createArrayNode();
                if (gateway != null) {
                    gateway.shards().forEach(s -> array.add(s.toJson()));
                }
                send(exchange, 200, "application/json", JSON.writeValueAsString(array));
            }
            case "/shards/startup" -> {
                if (gateway == null) {
                    send(exchange, 404, "text/plain", "no gateway role in this process\n");
                } else {
                    send(exchange, 200, "application/json", JSON.writeValueAsString(gateway.startup().toJson()));
                }
            }
            default -> send(exchange, 404, "text/plain", "not found\n");
        }
    }

    private void readiness(HttpExchange exchange) throws IOException {
        List<ShardStatus> list = gateway == null ? List.of() : gateway.shards();
        boolean ready = gateway == null || (!list.isEmpty() && list.stream().allMatch(ShardStatus::isServed));
        String detail = list.stream().filter(s -> !s.isServed())
                .map(s -> "shard " + s.id() + " " + s.state() + (s.reason() == null ? "" : ": " + s.reason()))
                .reduce((a, b) -> a + "\n" + b).orElse(list.isEmpty() && gateway != null
                        ? "shards not known yet (waiting for /gateway/bot or NATS)" : "");
        send(exchange, ready ? 200 : 503, "text/plain", ready ? "ready\n" : "not ready\n" + detail + "\n");
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        if (bytes.length > GZIP_ABOVE && acceptsGzip(exchange)) {
            bytes = gzip(bytes);
            exchange.getResponseHeaders().set("Content-Encoding", "gzip");
            exchange.getResponseHeaders().set("Vary", "Accept-Encoding");
        }
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static boolean acceptsGzip(HttpExchange exchange) {
        return exchange.getRequestHeaders().getOrDefault("Accept-Encoding", List.of()).stream()
                .anyMatch(v -> v.toLowerCase(java.util.Locale.ROOT).contains("gzip"));
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 4);
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        }
        return out.toByteArray();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
