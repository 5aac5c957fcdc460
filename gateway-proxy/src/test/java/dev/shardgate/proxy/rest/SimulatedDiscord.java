package dev.shardgate.proxy.rest;

import com.sun.net.httpserver.HttpServer;
import dev.shardgate.simulator.rest.RestSettings;
import dev.shardgate.simulator.rest.RestSimulator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** The simulator's REST side on a free 127.0.0.1 port, for tests of the proxy against Discord's behaviour. */
final class SimulatedDiscord implements AutoCloseable {
    static final String TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.sim.test-token-not-real";

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    final RestSimulator rest;

    SimulatedDiscord(RestSettings settings) {
        rest = new RestSimulator(TOKEN, settings, Clock.systemUTC());
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/api/v10/", rest);
        server.setExecutor(executor);
        server.start();
    }

    SimulatedDiscord() {
        this(RestSettings.defaults());
    }

    URI apiUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/api/v10");
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
