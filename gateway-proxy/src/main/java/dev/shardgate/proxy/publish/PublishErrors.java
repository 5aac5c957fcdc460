package dev.shardgate.proxy.publish;

import io.nats.client.JetStreamApiException;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Tells failures that retrying can never fix from those it may. Permanent: JetStream refusing the message itself
 * (larger than the stream's {@code max_msg_size}, headers over 64 KiB), a stream or bucket that cannot be created
 * (another one is in the way, its configuration is refused, more replicas than the servers can hold: retrying would
 * hold that shard's events until the buffer fills, for a mistake only the operator can fix), and the client
 * refusing the message (an invalid subject or header). Everything else is transient and retried: timeouts,
 * "no responders" (no stream captures the subject yet), a lost connection, a full stream or bucket, a payload over
 * the {@code max_payload} of a server reconnected to since it was checked (the retry sends the body to the object
 * store). Stateless.
 */
final class PublishErrors {
    /** JSStreamMessageExceedsMaximumErr: over the stream's max_msg_size. */
    static final int MESSAGE_TOO_LARGE = 10054;
    /** JSStreamHeaderExceedsMaximumErr: headers over 64 KiB. */
    static final int HEADERS_TOO_LARGE = 10097;
    /** JSStreamInvalidConfigF: a stream or bucket configuration the server rejects. */
    static final int INVALID_CONFIG = 10052;
    /** JSStreamNameExistErr: a stream of that name exists with another configuration. */
    static final int STREAM_NAME_IN_USE = 10058;
    /** JSStreamSubjectOverlapErr: another stream already captures some of the subjects. */
    static final int SUBJECTS_OVERLAP = 10065;
    /** JSStreamReplicasNotSupportedErr: replicas over 1 asked of a server that is not clustered. */
    static final int REPLICAS_NOT_SUPPORTED = 10074;
    private static final Set<Integer> PERMANENT_CODES = Set.of(MESSAGE_TOO_LARGE, HEADERS_TOO_LARGE, INVALID_CONFIG,
            STREAM_NAME_IN_USE, SUBJECTS_OVERLAP, REPLICAS_NOT_SUPPORTED);
    /** What jnats says when a payload exceeds the connected server's max_payload (checked before sending). */
    private static final String OVER_MAX_PAYLOAD = "Message payload size exceed";

    private PublishErrors() {
    }

    /** Why retrying cannot help, or null when it may. */
    static String permanent(Throwable error) {
        Throwable cause = unwrap(error);
        if (cause instanceof JetStreamApiException api && PERMANENT_CODES.contains(api.getApiErrorCode())) {
            return "JetStream refused it: " + api.getMessage();
        }
        if (cause instanceof IllegalArgumentException invalid && !String.valueOf(invalid.getMessage())
                .startsWith(OVER_MAX_PAYLOAD)) {
            return "the NATS client refused it: " + invalid.getMessage();
        }
        return null;
    }

    /** The failure itself, without the wrappers that futures and jnats' callbacks put around it. */
    static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while (e.getCause() != null && (e instanceof CompletionException || e instanceof ExecutionException
                || e.getClass() == RuntimeException.class)) {
            e = e.getCause();
        }
        return e;
    }

    /** One line for the log, with what jnats' "no responders" means here. */
    static String describe(Throwable error) {
        String text = unwrap(error).toString();
        return text.contains("503 No Responders") ? text + " (no stream captures the subject, or JetStream is off)"
                : text;
    }
}
