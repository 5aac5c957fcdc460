package dev.shardgate.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.shardgate.proxy.gateway.ShardStatus;
import dev.shardgate.proxy.gateway.StartupProgress;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Admin HTTP (CONTRACT.md, {@code ADMIN_PORT}): {@code /healthz}, {@code /readyz}, {@code /metrics},
 * {@code /shards}, and {@code /shards/startup} (start-up progress: {@code /shards} stays the array CONTRACT.md
 * promises). Readiness: every shard of {@code SHARD_IDS} served, that is READY or RESUMED here, or waiting
 * for its lease while another instance owns it (a pod that surges in beside the one it replaces is ready, or the
 * rollout could never proceed); and at least one shard known (before {@code /gateway/bot} answers the shard list is
 * empty and the process is not ready).
 *
 * <p>Threads: the JDK HttpServer's dispatcher thread plus one virtual thread per request.
 */
public final class AdminServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor;

    private AdminServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * @param shards the owned shards' status; null when this process runs no gateway role (then always ready)
     * @param startup the start-up progress; null without a gateway role
     */
    public static AdminServer start(int port, PrometheusMeterRegistry registry, Supplier<List<ShardStatus>> shards,
            Supplier<StartupProgress.Snapshot> startup) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 64);
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (exchange) {
                handle(exchange, registry, shards, startup);
            }
        });
        server.start();
        return new AdminServer(server, executor);
    }

    private static void handle(HttpExchange exchange, PrometheusMeterRegistry registry,
            Supplier<List<ShardStatus>> shards, Supplier<StartupProgress.Snapshot> startup) throws IOException {
        exchange.getRequestBody().readAllBytes();
        String method = exchange.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            send(exchange, 405, "text/plain", "method not allowed\n");
            return;
        }
        switch (exchange.getRequestURI().getPath()) {
            case "/healthz" -> send(exchange, 200, "text/plain", "ok\n");
            case "/readyz" -> {
                List<ShardStatus> list = shards == null ? List.of() : shards.get();
                boolean ready = shards == null || (!list.isEmpty() && list.stream().allMatch(ShardStatus::isServed));
                String detail = list.stream().filter(s -> !s.isServed())
                        .map(s -> "shard " + s.id() + " " + s.state() + (s.reason() == null ? "" : ": " + s.reason()))
                        .reduce((a, b) -> a + "\n" + b).orElse(list.isEmpty() && shards != null
                                ? "shards not known yet (waiting for /gateway/bot or NATS)" : "");
                send(exchange, ready ? 200 : 503, "text/plain", ready ? "ready\n" : "not ready\n" + detail + "\n");
            }
            case "/metrics" -> send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
            case "/shards" -> {
                ArrayNode array = JSON.createArrayNode();
                if (shards != null) {
                    shards.get().forEach(s -> array.add(s.toJson()));
                }
                send(exchange, 200, "application/json", JSON.writeValueAsString(array));
            }
            case "/shards/startup" -> {
                if (startup == null) {
                    send(exchange, 404, "text/plain", "no gateway role in this process\n");
                } else {
                    send(exchange, 200, "application/json", JSON.writeValueAsString(startup.get().toJson()));
                }
            }
            default -> send(exchange, 404, "text/plain", "not found\n");
        }
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
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
