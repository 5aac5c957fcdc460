package dev.shardgate.simulator.rest;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** One request as the endpoint handlers see it: the resolved route, the query, the body and the time. */
@SuppressWarnings("ArrayRecordComponent") // the request body as received, never compared or hashed
record RestRequest(RouteMatch route, Map<String, String> query, String contentType, byte[] body, long nowMillis) {

    static Map<String, String> parseQuery(String rawQuery) {
        Map<String, String> query = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return query;
        }
        for (String pair : rawQuery.split("&", -1)) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                query.putIfAbsent(URLDecoder.decode(key, StandardCharsets.UTF_8),
                        URLDecoder.decode(value, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                query.putIfAbsent(key, value);
            }
        }
        return query;
    }

    String param(String name) {
        return route.param(name);
    }

    long snowflake(String name) {
        return route.snowflake(name);
    }

    boolean queryFlag(String name) {
        String value = query.get(name);
        return value != null && (value.equalsIgnoreCase("true") || value.equals("1"));
    }

    int queryInt(String name, int fallback, int min, int max) throws DiscordError {
        String value = query.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below like any other out-of-range value
        }
        throw new DiscordError.FormErrors().add(name, "NUMBER_TYPE_MAX",
                "Int value should be between " + min + " and " + max + ".").toError();
    }

    boolean isMultipart() {
        return mediaType().equals("multipart/form-data");
    }

    /** The body as a JSON object; an empty body is an empty object, as Discord treats it. */
    JsonNode json() throws DiscordError {
        if (body.length == 0) {
            return Json.MAPPER.createObjectNode();
        }
        if (!mediaType().equals("application/json")) {
            throw contentTypeInvalid();
        }
        JsonNode node = Json.parse(body);
        if (!node.isObject() && !node.isArray()) {
            throw new DiscordError.FormErrors().add("", "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
                    .toError();
        }
        return node;
    }

    DiscordError contentTypeInvalid() {
        return new DiscordError.FormErrors().add("", "CONTENT_TYPE_INVALID",
                "Expected \"Content-Type\" header to be one of {'application/json', 'multipart/form-data'}.")
                .toError();
    }

    private String mediaType() {
        if (contentType == null) {
            return "";
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip().toLowerCase(Locale.ROOT);
    }
}
