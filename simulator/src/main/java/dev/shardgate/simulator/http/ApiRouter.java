package dev.shardgate.simulator.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.lang.System.Logger.Level;

/**
 * Everything under {@code /api/v10/}: the two gateway discovery routes are answered here, every other route goes
 * to the REST simulator. A handler failure becomes a 500 with Discord's error body instead of a dropped request.
 */
public final class ApiRouter implements HttpHandler {
    private static final System.Logger LOG = System.getLogger(ApiRouter.class.getName());

    private final HttpHandler gatewayBot;
    private final HttpHandler rest;

    public ApiRouter(HttpHandler gatewayBot, HttpHandler rest) {
        this.gatewayBot = gatewayBot;
        this.rest = rest;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        try {
            if (GatewayBotHandler.GATEWAY.equals(path) || GatewayBotHandler.GATEWAY_BOT.equals(path)) {
                gatewayBot.handle(exchange);
            } else {
                rest.handle(exchange);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "handler failed for " + exchange.getRequestMethod() + " " + path, e);
            HttpJson.error(exchange, 500, "Internal Server Error");
        } finally {
            exchange.close();
        }
    }
}
