package dev.shardgate.simulator.rest;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Discord's REST API as the simulator serves it, under {@code /api/v10/} (except {@code /gateway/bot}). */
public final class RestSimulator implements HttpHandler {
    private final String botToken;

    public RestSimulator(String botToken) {
        this.botToken = botToken;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        byte[] body = "{\"message\":\"404: Not Found\",\"code\":0}".getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(404, body.length);
        try (var out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    String botToken() {
        return botToken;
    }
}
