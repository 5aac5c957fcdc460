package dev.shardgate.proxy.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardgate.proxy.rest.limit.Rejection;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * An answer the proxy makes itself, in Discord's error shape ({@code message}, {@code code}, and for waits
 * {@code retry_after} and {@code global}), marked {@value RestHeaders#GENERATED} so that nobody mistakes it for
 * Discord's.
 *
 * @param reason short machine name sent in {@value RestHeaders#REASON}
 * @param code Discord's JSON error code where the answer stands for one of Discord's (10015 Unknown Webhook), else 0
 * @param retryAfterSeconds negative when the answer is not about waiting
 */
public record ProxyReply(int status, String reason, int code, String message, double retryAfterSeconds) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static ProxyReply error(int status, String reason, String message) {
        return new ProxyReply(status, reason, 0, message, -1);
    }

    /** The answer to a request the limits (or the proxy's own bounds) turned away. */
    public static ProxyReply rejected(Rejection.Reason reason, double retryAfterSeconds) {
        return new ProxyReply(reason.status(), reason.wireName(), reason.code(), reason.message(), retryAfterSeconds);
    }

    public byte[] body() {
        ObjectNode n = JSON.createObjectNode();
        n.put("message", message);
        n.put("code", code);
        if (retryAfterSeconds >= 0) {
            n.put("retry_after", Math.round(retryAfterSeconds * 1000) / 1000.0);
            n.put("global", false);
        }
        n.put("shardgate", reason);
        try {
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a JSON error", e);
        }
    }

    /** Answers with this, blocking until written (request handlers run on virtual threads). */
    public void send(Response response) throws IOException {
        Content.Sink.write(response, true, prepare(response));
    }

    /** Answers with this, completing {@code callback} once written. */
    public void send(Response response, Callback callback) {
        response.write(true, prepare(response), callback);
    }

    private ByteBuffer prepare(Response response) {
        byte[] body = body();
        response.setStatus(status);
        var headers = response.getHeaders();
        headers.put(HttpHeader.CONTENT_TYPE, "application/json");
        headers.put(RestHeaders.GENERATED, "true");
        headers.put(RestHeaders.REASON, reason);
        if (retryAfterSeconds >= 0) {
            headers.put(HttpHeader.RETRY_AFTER, Long.toString((long) Math.ceil(retryAfterSeconds)));
        }
        headers.put(HttpHeader.CONTENT_LENGTH, body.length);
        return ByteBuffer.wrap(body);
    }
}
