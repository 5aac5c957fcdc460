package dev.shardgate.bench.rest;

import com.sun.net.httpserver.HttpServer;
import dev.shardgate.simulator.rest.RateLimitScope;
import dev.shardgate.simulator.rest.RestSettings;
import dev.shardgate.simulator.rest.RestSimulator;
import dev.shardgate.simulator.rest.RouteBucket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The simulator's REST API in this JVM on a free port, with limits so high that no request of the benchmark
 * ever waits (a global limit of a million per second and {@code GET /channels/{id}}'s bucket likewise), or with a
 * global limit that the benchmark means to use up. Runs
 * each request on a virtual thread, as the simulator does.
 */
final class SimulatedRest implements AutoCloseable {
    private static final int HIGH = 1_000_000;

    final RestSimulator rest;
    private final HttpServer server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    SimulatedRest(String token) throws IOException {
        this(token, HIGH);
    }

    /** With Discord's global limit at {@code globalLimit} a second; {@code GET /channels/{id}}'s bucket still high. */
    SimulatedRest(String token, int globalLimit) throws IOException {
        rest = new RestSimulator(token, RestSettings.defaults().withGlobalLimit(globalLimit), Clock.systemUTC());
        rest.setBucketLimit(RouteBucket.GET_CHANNEL, HIGH, Duration.ofSeconds(1));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
        server.createContext("/api/v10/", rest);
        server.setExecutor(threads);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/api/v10");
    }

    /** 429s the simulator has answered, of any scope. */
    long rateLimited() {
        long n = 0;
        for (RateLimitScope s : RateLimitScope.values()) {
            n += rest.observations().rateLimited(s);
        }
        return n;
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
