package dev.shardgate.worker;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The JSON mapper a worker uses when the application gives none ({@code Worker.Builder.json}): a fresh one per
 * worker, never a shared static the application could reconfigure for everyone. Unknown fields are normal in
 * Discord payloads.
 */
public final class JsonMappers {
    private JsonMappers() {
    }

    public static ObjectMapper lenient() {
        return new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    }
}
