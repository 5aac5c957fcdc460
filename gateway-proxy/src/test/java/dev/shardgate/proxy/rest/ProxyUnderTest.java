package dev.shardgate.proxy.rest;

import dev.shardgate.protocol.BotToken;
import dev.shardgate.config.ConfigSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/** A REST proxy on a free 127.0.0.1 port in front of a simulator, and an HTTP client for it. */
final class ProxyUnderTest implements AutoCloseable {
    final RestProxy proxy;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    private final AtomicBoolean closed = new AtomicBoolean();

    ProxyUnderTest(URI apiUrl, Map<String, String> env) {
        Map<String, String> settings = new HashMap<>(env);
        try {
            proxy = RestProxy.start(RestConfig.from(ConfigSource.of(settings)), BotToken.of(SimulatedDiscord.TOKEN),
                    apiUrl, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), registry,
                    java.util.List.of(settings.getOrDefault("NATS_URL", "nats://127.0.0.1:4222")),
                    new dev.shardgate.protocol.Subjects("discord"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String base() {
        return "http://127.0.0.1:" + proxy.port() + "/api/v10";
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofMinutes(2));
    }

    HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    CompletableFuture<HttpResponse<String>> sendAsync(HttpRequest request) {
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    static HttpRequest.BodyPublisher json(String body) {
        return HttpRequest.BodyPublishers.ofString(body);
    }

    /** Idempotent, so a test may close it early and still list it in try-with-resources. */
    @Override
    public void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        proxy.close();
        client.shutdownNow();
    }
}
