package dev.shardgate.simulator.http;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Writes JSON answers the way Discord does: {@code application/json}, errors as {@code {"message","code"}}. */
public final class HttpJson {
    private HttpJson() {
    }

    public static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    public static void send(HttpExchange exchange, int status, String body) throws IOException {
        send(exchange, status, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Discord's error body, e.g. {@code {"message": "401: Unauthorized", "code": 0}}. */
    public static void error(HttpExchange exchange, int status, String message) throws IOException {
        send(exchange, status, "{\"message\": \"" + status + ": " + message + "\", \"code\": 0}");
    }
}
