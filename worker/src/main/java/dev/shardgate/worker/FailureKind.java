package dev.shardgate.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/**
 * Whether a failure may go away by itself, which decides what becomes of the event:
 * <ul>
 *   <li>{@link #TRANSIENT}: the world is briefly unavailable (REST proxy unreachable, 5xx, 429, timeouts, NATS
 *       gone or not answering). The replica pauses pulling and retries the same delivery with backoff, keeping its
 *       ack deadline alive; this spends no delivery of the poison budget.</li>
 *   <li>{@link #PERMANENT}: retrying cannot succeed (a 4xx from Discord, a body that is not the expected JSON).
 *       The event goes to the dead-letter stream at once, with the error.</li>
 *   <li>{@link #UNKNOWN}: anything else, typically a bug in a handler. Redelivered with backoff, and dead-lettered
 *       after {@code WORKER_MAX_DELIVERIES}.</li>
 * </ul>
 * Exceptions say which they are by implementing {@link Classified}; the library's own ({@code RestException},
 * {@code GatewayException}, {@link EventFormatException}) do, and so can an application's.
 */
public enum FailureKind {
    TRANSIENT, PERMANENT, UNKNOWN;

    /** Implemented by exceptions that know whether retrying can help. */
    public interface Classified {
        FailureKind kind();
    }

    /** The first classifiable exception on the cause chain decides; I/O and timeouts are transient. */
    @SuppressWarnings("ReferenceEquality") // identity is the point: stops at an exception that names itself its cause
    public static FailureKind of(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof Classified c) {
                return c.kind();
            }
            if (t instanceof JsonProcessingException) {
                return PERMANENT; // data that does not parse will not parse next time either
            }
            if (t instanceof IOException || t instanceof TimeoutException) {
                return TRANSIENT;
            }
        }
        return UNKNOWN;
    }
}
