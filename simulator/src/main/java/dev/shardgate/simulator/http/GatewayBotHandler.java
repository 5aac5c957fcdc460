package dev.shardgate.simulator.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.shardgate.simulator.gateway.SessionStartBudget;
import dev.shardgate.simulator.gateway.SimulatedGateway;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * {@code GET /api/v10/gateway} (no auth) and {@code GET /api/v10/gateway/bot} (Bot auth), per
 * discord-gateway.md §2.1, with the live session-start budget. Stateless; runs on the HTTP server's threads.
 */
public final class GatewayBotHandler implements HttpHandler {
    public static final String GATEWAY = "/api/v10/gateway";
    public static final String GATEWAY_BOT = "/api/v10/gateway/bot";

    private final SimulatedGateway gateway;
    private final byte[] expectedAuthorization;

    public GatewayBotHandler(SimulatedGateway gateway) {
        this.gateway = gateway;
        this.expectedAuthorization = ("Bot " + gateway.settings().token()).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        if (!"GET".equals(exchange.getRequestMethod())) {
            HttpJson.error(exchange, 405, "Method Not Allowed");
            return;
        }
        String path = exchange.getRequestURI().getPath();
        if (GATEWAY.equals(path)) {
            HttpJson.send(exchange, 200, "{\"url\":\"" + gateway.url() + "\"}");
        } else if (!authorized(exchange)) {
            HttpJson.error(exchange, 401, "Unauthorized");
        } else {
            SessionStartBudget budget = gateway.sessionStartLimit();
            HttpJson.send(exchange, 200, "{\"url\":\"" + gateway.url() + "\",\"shards\":" + gateway.settings().shards()
                    + ",\"session_start_limit\":{\"total\":" + budget.total() + ",\"remaining\":" + budget.remaining()
                    + ",\"reset_after\":" + budget.resetAfterMillis() + ",\"max_concurrency\":"
                    + gateway.settings().maxConcurrency() + "}}");
        }
    }

    /** A reset token no longer works anywhere (discord-gateway.md §8.3). */
    private boolean authorized(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        return header != null && !gateway.tokenReset()
                && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), expectedAuthorization);
    }
}
