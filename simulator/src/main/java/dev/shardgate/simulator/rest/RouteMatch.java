package dev.shardgate.simulator.rest;

import dev.shardgate.protocol.Snowflake;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A request path resolved to its {@link Endpoint} and the values of the path's placeholders. */
record RouteMatch(Endpoint endpoint, Map<String, String> params) {
    private static final String PREFIX = "/api/v10/";
    /** Base64 of {@code interaction:}, how interaction tokens begin. */
    static final String INTERACTION_TOKEN_PREFIX = "aW50ZXJhY3Rpb246";

    /**
     * Resolves {@code method} and the raw (still percent-encoded) path.
     *
     * @throws DiscordError 404 for an unknown path, 405 for a known path with another method, 400 50035 for a
     *     placeholder ending in {@code _id} that is not a snowflake
     */
    static RouteMatch resolve(String method, String rawPath) throws DiscordError {
        if (!rawPath.startsWith(PREFIX)) {
            throw DiscordError.notFound();
        }
        String[] segments = rawPath.substring(PREFIX.length()).split("/", -1);
        boolean pathKnown = false;
        for (Endpoint endpoint : Endpoint.values()) {
            Map<String, String> params = bind(endpoint.segments(), segments);
            if (params == null) {
                continue;
            }
            if (!endpoint.method().equals(method)) {
                pathKnown = true;
                continue;
            }
            checkSnowflakes(params);
            return new RouteMatch(endpoint, params);
        }
        throw pathKnown ? DiscordError.methodNotAllowed() : DiscordError.notFound();
    }

    /**
     * Whether the request skips the global limit: interaction callbacks, and webhook routes that carry an
     * interaction token (its base64 starts with {@code interaction:}) or whose webhook id is the application's.
     * Ordinary webhook executions are not exempt: Discord's docs exempt only interaction endpoints.
     */
    boolean globalExempt(long applicationId) {
        return switch (endpoint.major()) {
            case INTERACTION -> true;
            case WEBHOOK -> isInteractionWebhook(applicationId);
            default -> false;
        };
    }

    boolean isInteractionWebhook(long applicationId) {
        return endpoint.major() == MajorParameter.WEBHOOK
                && (param("webhook_token").startsWith(INTERACTION_TOKEN_PREFIX)
                || param("webhook_id").equals(Long.toUnsignedString(applicationId)));
    }

    String resource() {
        return endpoint.major().resource(params);
    }

    String param(String name) {
        return params.get(name);
    }

    long snowflake(String name) {
        return Snowflake.parse(params.get(name));
    }

    private static Map<String, String> bind(List<String> template, String[] segments) {
        if (template.size() != segments.length) {
            return null;
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < segments.length; i++) {
            String expected = template.get(i);
            if (expected.startsWith("{")) {
                if (segments[i].isEmpty()) {
                    return null;
                }
                params.put(expected.substring(1, expected.length() - 1), decode(segments[i]));
            } else if (!expected.equals(segments[i])) {
                return null;
            }
        }
        return params;
    }

    private static String decode(String segment) {
        try {
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return segment;
        }
    }

    private static void checkSnowflakes(Map<String, String> params) throws DiscordError {
        List<String> bad = new ArrayList<>();
        params.forEach((name, value) -> {
            if (name.endsWith("_id")) {
                try {
                    Snowflake.parse(value);
                } catch (IllegalArgumentException e) {
                    bad.add(name);
                }
            }
        });
        if (!bad.isEmpty()) {
            DiscordError.FormErrors errors = new DiscordError.FormErrors();
            bad.forEach(name -> errors.add(name, "NUMBER_TYPE_COERCE",
                    "Value \"" + params.get(name) + "\" is not snowflake."));
            throw errors.toError();
        }
    }
}
