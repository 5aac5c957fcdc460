package dev.shardgate.simulator.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.shardgate.testkit.ManualClock;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;

/**
 * A {@link RestSimulator} mounted on its own HTTP server on 127.0.0.1 (handlers on virtual threads, as the
 * simulator runs them), with a virtual clock and a small HTTP client. Close it after each test.
 */
final class SimulatorServer implements AutoCloseable {
    static final String TOKEN = "MTE5NDYxMTU5ODk1MDQxMjI4OQ.FAKE.token-not-real";
    static final String AUTH = "Bot " + TOKEN;

    final ManualClock clock = ManualClock.startingNow();
    final RestSimulator rest;
    private final HttpServer server;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    private final String base;

    SimulatorServer() throws IOException {
        this(RestSettings.defaults());
    }

    SimulatorServer(RestSettings settings) throws IOException {
        rest = new RestSimulator(TOKEN, settings, clock);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/api/v10/", rest);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort() + "/api/v10/";
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("User-Agent", "DiscordBot (https://github.com/example/shardgate, 0.1.0)");
    }

    HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return send(request(path).header("Authorization", AUTH).GET().build());
    }

    HttpResponse<String> delete(String path) throws IOException, InterruptedException {
        return send(request(path).header("Authorization", AUTH).DELETE().build());
    }

    HttpResponse<String> put(String path) throws IOException, InterruptedException {
        return send(request(path).header("Authorization", AUTH).PUT(HttpRequest.BodyPublishers.noBody()).build());
    }

    HttpResponse<String> json(String method, String path, String body) throws IOException, InterruptedException {
        return send(request(path).header("Authorization", AUTH).header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build());
    }

    /** POST without {@code Authorization}, as webhook and interaction routes are called. */
    HttpResponse<String> postWithoutAuth(String path, String body) throws IOException, InterruptedException {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    static JsonNode body(HttpResponse<String> response) throws IOException {
        return Json.MAPPER.readTree(response.body());
    }

    static String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    @Override
    public void close() {
        server.stop(0);
        client.close();
    }
}
