package dev.shardgate.simulator.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A Discord error answer: an HTTP status with the JSON body {@code {"message", "code"[, "errors"]}}. Thrown by
 * routing and handlers; {@link RestSimulator} turns it into the response.
 */
final class DiscordError extends Exception {
    private final int status;
    private final int code;
    private final ObjectNode errors;

    DiscordError(int status, int code, String message) {
        this(status, code, message, null);
    }

    private DiscordError(int status, int code, String message, ObjectNode errors) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.errors = errors;
    }

    static DiscordError notFound() {
        return new DiscordError(404, 0, "404: Not Found");
    }

    static DiscordError methodNotAllowed() {
        return new DiscordError(405, 0, "405: Method Not Allowed");
    }

    static DiscordError unauthorized() {
        return new DiscordError(401, 0, "401: Unauthorized");
    }

    static DiscordError unknownWebhook() {
        return new DiscordError(404, 10015, "Unknown Webhook");
    }

    static DiscordError unknownMessage() {
        return new DiscordError(404, 10008, "Unknown Message");
    }

    static DiscordError invalidJson() {
        return new DiscordError(400, 50109, "The request body contains invalid JSON.");
    }

    static DiscordError entityTooLarge() {
        return new DiscordError(413, 40005, "Request entity too large");
    }

    int status() {
        return status;
    }

    ObjectNode body() {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("message", getMessage());
        body.put("code", code);
        if (errors != null) {
            body.set("errors", errors);
        }
        return body;
    }

    /** Builds a {@code 50035 Invalid Form Body} error whose {@code errors} tree mirrors the request body. */
    static final class FormErrors {
        private final ObjectNode tree = Json.MAPPER.createObjectNode();

        /** Adds an error at a dotted path of the body ({@code content}, {@code embeds.0.title}; "" for all). */
        FormErrors add(String path, String code, String message) {
            ObjectNode node = tree;
            for (String key : path.isEmpty() ? new String[0] : path.split("\\.")) {
                node = node.has(key) ? (ObjectNode) node.get(key) : node.putObject(key);
            }
            ArrayNode list = node.has("_errors") ? (ArrayNode) node.get("_errors") : node.putArray("_errors");
            ObjectNode error = list.addObject();
            error.put("code", code);
            error.put("message", message);
            return this;
        }

        boolean isEmpty() {
            return tree.isEmpty();
        }

        DiscordError toError() {
            return new DiscordError(400, 50035, "Invalid Form Body", tree);
        }
    }
}
