package dev.shardgate.worker.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;

/** A successful answer from Discord through the REST proxy; {@code mapper} reads its body. */
@SuppressWarnings("ArrayRecordComponent") // the answer's body as received, handed on without a copy
public record RestResponse(int status, HttpHeaders headers, byte[] body, ObjectMapper mapper) {
    /** The body as JSON; a missing node for 204 and other empty answers. */
    public JsonNode json() throws RestException {
        if (body.length == 0) {
            return mapper.missingNode();
        }
        try {
            return mapper.readTree(body);
        } catch (IOException e) {
            throw new RestException("Discord answered " + status + " with a body that is not JSON: " + e.getMessage(),
                    status, new String(body, StandardCharsets.UTF_8));
        }
    }
}
