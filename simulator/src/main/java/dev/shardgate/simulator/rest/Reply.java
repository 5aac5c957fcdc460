package dev.shardgate.simulator.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** An HTTP answer being assembled: status, headers and body. Confined to the thread handling its request. */
final class Reply {
    private final int status;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final byte[] body;

    private Reply(int status, String contentType, byte[] body) {
        this.status = status;
        this.body = body;
        if (contentType != null) {
            headers.put("Content-Type", contentType);
        }
    }

    /** An answer from Discord's API: JSON (or empty for 204) with {@code Via: 1.1 google}. */
    static Reply discord(int status, JsonNode json) {
        Reply reply = json == null ? new Reply(status, null, new byte[0])
                : new Reply(status, "application/json", Json.bytes(json));
        reply.headers.put("Via", "1.1 google");
        return reply;
    }

    static Reply error(DiscordError error) {
        return discord(error.status(), error.body());
    }

    /** A 429 of Discord's limiter: the precise wait in the body, rounded up in {@code Retry-After}. */
    static Reply rateLimited(RateLimitScope scope, long retryAfterMillis, String message) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("message", message);
        body.put("retry_after", retryAfterMillis / 1000.0);
        body.put("global", scope == RateLimitScope.GLOBAL);
        Reply reply = discord(429, body);
        reply.headers.put("Retry-After", Long.toString(ceilSeconds(retryAfterMillis)));
        if (scope == RateLimitScope.GLOBAL) {
            reply.headers.put("X-RateLimit-Global", "true");
        }
        reply.headers.put("X-RateLimit-Scope", scope.headerValue());
        return reply;
    }

    /** Cloudflare's ban page: plain text, no {@code Via}, no rate-limit headers. */
    static Reply cloudflareBan(long remainingMillis) {
        Reply reply = new Reply(429, "text/plain; charset=UTF-8",
                "error code: 1015".getBytes(StandardCharsets.UTF_8));
        reply.headers.put("Retry-After", Long.toString(ceilSeconds(remainingMillis)));
        reply.headers.put("Server", "cloudflare");
        return reply;
    }

    /** Adds the bucket's {@code X-RateLimit-*} headers. */
    Reply withBucket(RouteBucket bucket, WindowState window) {
        headers.put("X-RateLimit-Bucket", bucket.hash());
        headers.put("X-RateLimit-Limit", Integer.toString(window.limit()));
        headers.put("X-RateLimit-Remaining", Integer.toString(window.remaining()));
        headers.put("X-RateLimit-Reset", seconds(window.resetAtMillis()));
        headers.put("X-RateLimit-Reset-After", seconds(window.resetAfterMillis()));
        return this;
    }

    int status() {
        return status;
    }

    Map<String, String> headers() {
        return headers;
    }

    byte[] body() {
        return body;
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.3f", millis / 1000.0);
    }

    private static long ceilSeconds(long millis) {
        return Math.max(1, (millis + 999) / 1000);
    }
}
