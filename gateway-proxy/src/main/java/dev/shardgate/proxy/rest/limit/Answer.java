package dev.shardgate.proxy.rest.limit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * What the limiter learns from one answer of Discord: the status, the {@code X-RateLimit-*} headers and, for
 * a 429, the wait and its scope.
 *
 * @param retryAfterSeconds for a 429: the body's precise {@code retry_after}, else {@code Retry-After}, else 0
 */
public record Answer(int status, OptionalInt limit, OptionalInt remaining, OptionalDouble resetAfterSeconds,
                     Optional<String> bucket, RateLimitScope scope, double retryAfterSeconds) {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A Cloudflare ban without a usable Retry-After: assume Discord's usual hour. */
    private static final double DEFAULT_BAN_SECONDS = 3600;

    /**
     * @param header a header by name (case-insensitive), or null when absent
     * @param body429 the body of a 429 (ignored for other statuses)
     */
    public static Answer parse(int status, Function<String, String> header, byte[] body429) {
        OptionalInt limit = integer(header.apply("X-RateLimit-Limit"));
        OptionalInt remaining = integer(header.apply("X-RateLimit-Remaining"));
        OptionalDouble resetAfter = decimal(header.apply("X-RateLimit-Reset-After"));
        Optional<String> bucket = Optional.ofNullable(header.apply("X-RateLimit-Bucket")).map(String::trim)
                .filter(b -> !b.isEmpty() && b.length() <= 128);
        if (status != 429) {
            return new Answer(status, limit, remaining, resetAfter, bucket, RateLimitScope.NONE, 0);
        }
        OptionalDouble headerRetry = decimal(header.apply("Retry-After"));
        JsonNode json = readJson(body429);
        if (json == null || !json.path("retry_after").isNumber()) {
            return new Answer(status, limit, remaining, resetAfter, bucket, RateLimitScope.CLOUDFLARE,
                    headerRetry.orElse(DEFAULT_BAN_SECONDS));
        }
        double retry = Math.max(0, json.path("retry_after").asDouble());
        String scopeHeader = header.apply("X-RateLimit-Scope");
        RateLimitScope scope;
        if ("true".equalsIgnoreCase(header.apply("X-RateLimit-Global")) || json.path("global").asBoolean(false)
                || "global".equalsIgnoreCase(scopeHeader)) {
            scope = RateLimitScope.GLOBAL;
        } else if ("shared".equalsIgnoreCase(scopeHeader)) {
            scope = RateLimitScope.SHARED;
        } else if (remaining.isPresent() && remaining.getAsInt() > 0) {
            scope = RateLimitScope.SUBLIMIT;
        } else {
            scope = RateLimitScope.USER;
        }
        return new Answer(status, limit, remaining, resetAfter, bucket, scope, retry);
    }

    /** Whether the answer carries the headers of a per-route limit. */
    public boolean hasBucketHeaders() {
        return limit.isPresent() && remaining.isPresent() && resetAfterSeconds.isPresent();
    }

    private static JsonNode readJson(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(body);
            return n != null && n.isObject() ? n : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static OptionalInt integer(String v) {
        if (v == null) {
            return OptionalInt.empty();
        }
        try {
            int n = Integer.parseInt(v.trim());
            return n >= 0 ? OptionalInt.of(n) : OptionalInt.empty();
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    private static OptionalDouble decimal(String v) {
        if (v == null) {
            return OptionalDouble.empty();
        }
        try {
            double d = Double.parseDouble(v.trim());
            return Double.isFinite(d) && d >= 0 ? OptionalDouble.of(d) : OptionalDouble.empty();
        } catch (NumberFormatException e) {
            return OptionalDouble.empty();
        }
    }
}
