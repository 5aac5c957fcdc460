package dev.shardgate.worker;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/** A REST proxy stand-in on 127.0.0.1 that records requests and answers with a fixed status and body. */
public final class FakeRestProxy implements AutoCloseable {
    /** One request as received. */
    public record Request(String method, String path, String body, String secret) {
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile int status = 200;
    private volatile String answer = "{\"id\":\"1\"}";

    public FakeRestProxy() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> {
            try (ex) {
                requests.add(new Request(ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
                        new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8),
                        ex.getRequestHeaders().getFirst("X-Shardgate-Secret")));
                byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
                if (status == 204) {
                    ex.sendResponseHeaders(204, -1);
                } else {
                    ex.sendResponseHeaders(status, bytes.length);
                    ex.getResponseBody().write(bytes);
                }
            }
        });
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/v10";
    }

    public List<Request> requests() {
        return requests;
    }

    public void answer(int status, String body) {
        this.status = status;
        this.answer = body;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
