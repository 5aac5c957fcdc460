package dev.shardgate.worker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code GET /metrics} (Prometheus text), {@code /healthz} (200 while the process runs) and {@code /readyz}
 * (200 while the worker is RUNNING). Owns the JDK HttpServer and its virtual-thread executor.
 */
public final class MetricsServer implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    /**
     * @param meters a Prometheus registry: the worker's own, or one the application gave
     * @throws IllegalStateException the registry cannot be scraped as Prometheus text, or the Prometheus registry
     *     is not on the class path
     */
    public MetricsServer(int port, MeterRegistry meters, Supplier<WorkerState> state) throws IOException {
        PrometheusMeterRegistry registry = prometheus(meters);
        server = HttpServer.create(new InetSocketAddress(port), 0);
        server.setExecutor(executor);
        server.createContext("/metrics", ex -> reply(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                registry.scrape()));
        server.createContext("/healthz", ex -> reply(ex, 200, "text/plain", "ok\n"));
        server.createContext("/readyz", ex -> {
            WorkerState s = state.get();
            reply(ex, s == WorkerState.RUNNING ? 200 : 503, "text/plain", s.name().toLowerCase(Locale.ROOT) + "\n");
        });
        server.start();
    }

    /** A new Prometheus registry; fails clearly when the optional {@code micrometer-registry-prometheus} is absent. */
    static MeterRegistry newRegistry() {
        try {
            return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        } catch (NoClassDefFoundError e) {
            throw new IllegalStateException("WORKER_METRICS_PORT needs io.micrometer:micrometer-registry-prometheus on "
                    + "the class path; add it, or set WORKER_METRICS_PORT=0 and serve metrics from your own registry", e);
        }
    }

    private static PrometheusMeterRegistry prometheus(MeterRegistry meters) {
        if (meters instanceof PrometheusMeterRegistry p) {
            return p;
        }
        throw new IllegalStateException("WORKER_METRICS_PORT serves a PrometheusMeterRegistry, and the registry given "
                + "is a " + meters.getClass().getName() + ": serve it yourself and set WORKER_METRICS_PORT=0");
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void reply(HttpExchange ex, int status, String type, String body) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod())) {
                ex.sendResponseHeaders(405, -1);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }
}
