package dev.shardgate.proxy.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.protocol.BotToken;
import dev.shardgate.proxy.gateway.ReconnectPolicy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Asks Discord (or the simulator) {@code GET {DISCORD_API_URL}/gateway/bot}. Each call runs on the caller's thread.
 * Transient failures are retried by {@link #fetchWithRetry}, with the same jittered backoff as shard reconnects;
 * a 401 is final.
 */
public final class GatewayBotClient {
    private static final System.Logger LOG = System.getLogger(GatewayBotClient.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final URI endpoint;
    private final BotToken token;

    public GatewayBotClient(URI apiUrl, BotToken token) {
        this.http = HttpClient.newBuilder().version(httpVersionFor(apiUrl))
                .connectTimeout(Duration.ofSeconds(10)).build();
        this.endpoint = URI.create(apiUrl.toString() + "/gateway/bot");
        this.token = token;
    }

    /**
     * HTTP/2 over TLS is negotiated (ALPN) and harmless, but over plain {@code http://} the JDK client asks for it
     * with an {@code Upgrade: h2c} header, which some REST proxies in front of Discord answer with 400. So plain
     * http speaks HTTP/1.1 from the first request.
     */
    private static HttpClient.Version httpVersionFor(URI apiUrl) {
        return "https".equalsIgnoreCase(apiUrl.getScheme()) ? HttpClient.Version.HTTP_2 : HttpClient.Version.HTTP_1_1;
    }

    /** One attempt. */
    public GatewayBot fetch() throws DiscoveryException, InterruptedException {
        HttpResponse<byte[]> response;
        try {
            response = http.send(HttpRequest.newBuilder(endpoint)
                    .timeout(Duration.ofSeconds(15))
                    .header("Authorization", token.authorization())
                    .header("User-Agent", "DiscordBot (https://github.com/shardgate, 0.1)")
                    .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new DiscoveryException("GET " + endpoint + " failed: " + e, true);
        }
        int status = response.statusCode();
        if (status == 401) {
            throw new DiscoveryException("GET " + endpoint + " answered 401: Discord rejects DISCORD_TOKEN "
                    + "(it may have been reset); no shard can start", false);
        }
        if (status != 200) {
            throw new DiscoveryException("GET " + endpoint + " answered " + status, status != 403);
        }
        return parse(response.body());
    }

    /** Retries transient failures with jittered exponential backoff until one succeeds; throws a final failure. */
    public GatewayBot fetchWithRetry() throws DiscoveryException, InterruptedException {
        ReconnectPolicy backoff = new ReconnectPolicy(ThreadLocalRandom.current());
        while (true) {
            try {
                return fetch();
            } catch (DiscoveryException e) {
                if (!e.retryable()) {
                    throw e;
                }
                Duration delay = backoff.nextDelay();
                LOG.log(System.Logger.Level.WARNING, "{0}; retrying in {1} ms", e.getMessage(), delay.toMillis());
                Thread.sleep(delay.toMillis());
            }
        }
    }

    static GatewayBot parse(byte[] body) throws DiscoveryException {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new DiscoveryException("/gateway/bot answered invalid JSON: " + e.getMessage(), true);
        }
        List<String> missing = new ArrayList<>();
        String url = text(root, "url", missing);
        int shards = positive(root, "shards", missing);
        JsonNode limit = root == null ? null : root.get("session_start_limit");
        if (limit == null || !limit.isObject()) {
            missing.add("session_start_limit");
            limit = JSON.createObjectNode();
        }
        int total = positive(limit, "total", missing);
        int remaining = nonNegative(limit, "remaining", missing);
        int resetAfter = nonNegative(limit, "reset_after", missing);
        int maxConcurrency = positive(limit, "max_concurrency", missing);
        if (!missing.isEmpty()) {
            throw new DiscoveryException("/gateway/bot answer lacks or has invalid " + String.join(", ", missing), true);
        }
        URI uri;
        try {
            uri = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
        } catch (IllegalArgumentException e) {
            throw new DiscoveryException("/gateway/bot url is not a URL: " + url, true);
        }
        if (!"wss".equals(uri.getScheme()) && !"ws".equals(uri.getScheme())) {
            throw new DiscoveryException("/gateway/bot url is not a ws:// or wss:// URL: " + url, true);
        }
        return new GatewayBot(uri, shards,
                new GatewayBot.SessionStartLimit(total, remaining, Duration.ofMillis(resetAfter), maxConcurrency));
    }

    private static String text(JsonNode node, String field, List<String> missing) {
        JsonNode v = node == null ? null : node.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            missing.add(field);
            return "";
        }
        return v.asText();
    }

    private static int positive(JsonNode node, String field, List<String> missing) {
        int v = nonNegative(node, field, missing);
        if (v == 0 && !missing.contains(field)) {
            missing.add(field);
        }
        return v;
    }

    private static int nonNegative(JsonNode node, String field, List<String> missing) {
        JsonNode v = node == null ? null : node.get(field);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0) {
            missing.add(field);
            return 0;
        }
        return v.asInt();
    }
}
