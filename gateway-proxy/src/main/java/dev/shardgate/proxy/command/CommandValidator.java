package dev.shardgate.proxy.command;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardgate.protocol.GatewayLimits;
import dev.shardgate.protocol.Opcode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Checks a worker's command before anything reaches Discord (CONTRACT.md): a JSON object {@code {"op": N, "d": {...}}}
 * with an allowed op (3, 4, 8, 31), at most 4096 bytes. The payload sent is rebuilt as exactly {@code op} and
 * {@code d}, so stray fields never cost a 4001/4002 close. Stateless and thread-safe.
 */
public final class CommandValidator {
    /** Discord drops a longer nonce silently, and the requester would wait forever for its chunks. */
    static final int MAX_NONCE_BYTES = 32;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A command that may be sent, or why not. */
    @SuppressWarnings("ArrayRecordComponent") // a payload to send, never compared or hashed
    public record Result(byte[] payload, String error) {
        static Result refused(String error) {
            return new Result(null, error);
        }

        public boolean ok() {
            return error == null;
        }
    }

    private CommandValidator() {
    }

    public static Result validate(byte[] body) {
        if (body == null || body.length == 0) {
            return Result.refused("empty command: expected {\"op\": N, \"d\": {...}}");
        }
        if (body.length > GatewayLimits.MAX_PAYLOAD_BYTES) {
            return Result.refused("command is " + body.length + " bytes; Discord accepts at most "
                    + GatewayLimits.MAX_PAYLOAD_BYTES);
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            return Result.refused("invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            return Result.refused("unreadable command: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            return Result.refused("command must be a JSON object {\"op\": N, \"d\": {...}}");
        }
        JsonNode op = root.get("op");
        if (op == null || !op.isInt()) {
            return Result.refused("command needs an integer op");
        }
        if (Opcode.of(op.asInt()).filter(Opcode::isWorkerCommand).isEmpty()) {
            return Result.refused("op " + op.asInt() + " is not allowed; allowed: 3 presence update, "
                    + "4 voice state update, 8 request guild members, 31 request soundboard sounds");
        }
        JsonNode d = root.get("d");
        if (d == null || !d.isObject()) {
            return Result.refused("op " + op.asInt() + " needs d to be an object");
        }
        JsonNode nonce = d.get("nonce");
        if (op.asInt() == Opcode.REQUEST_GUILD_MEMBERS.code() && nonce != null
                && (!nonce.isTextual() || nonce.asText().getBytes(StandardCharsets.UTF_8).length > MAX_NONCE_BYTES)) {
            return Result.refused("nonce must be a string of at most " + MAX_NONCE_BYTES + " bytes");
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("op", op.asInt());
        out.set("d", d);
        byte[] payload;
        try {
            payload = JSON.writeValueAsBytes(out);
        } catch (JsonProcessingException e) {
            return Result.refused("command cannot be encoded: " + e.getOriginalMessage());
        }
        if (payload.length > GatewayLimits.MAX_PAYLOAD_BYTES) {
            return Result.refused("command is " + payload.length + " bytes; Discord accepts at most "
                    + GatewayLimits.MAX_PAYLOAD_BYTES);
        }
        return new Result(payload, null);
    }
}
