package dev.shardgate.worker;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/** A REST proxy stand-in on 127.0.0.1 that records requests and answers with a fixed status and body. */
public final class FakeRestProxy implements AutoCloseable {
    /** One request as received. */
    public record Request(String method, String path, String body, String secret, Instant at) {
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile int status = 200;
    private volatile String answer = "{\"id\":\"1\"}";
    private final Queue<Integer> scripted = new ConcurrentLinkedQueue<>();

    public FakeRestProxy() throws IOException {
        this(0);
    }

    /** On a given port: to bring up a proxy a worker was already trying to reach. */
    public FakeRestProxy(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", ex -> {
            try (ex) {
                requests.add(new Request(ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
                        new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8),
                        ex.getRequestHeaders().getFirst("X-Shardgate-Secret"), Instant.now()));
                Integer scriptedStatus = scripted.poll();
                int status = scriptedStatus == null ? this.status : scriptedStatus;
                String answer = scriptedStatus == null ? this.answer : "{\"message\":\"scripted\",\"code\":0}";
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

    /** The next {@code times} requests are answered {@code status} (then the usual answer again). */
    public void answerNext(int times, int status) {
        for (int i = 0; i < times; i++) {
            scripted.add(status);
        }
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
