package dev.shardgate.worker.rest;

import dev.shardgate.worker.FailureKind;

/**
 * A REST call that did not succeed: Discord (through the proxy) answered an error status, or the proxy could
 * not be reached or did not answer in time ({@link #status()} 0). {@link #retryable()} is true for what may work
 * later: an unreachable or silent proxy, 429 and 5xx; those are {@link FailureKind#TRANSIENT}, every other status
 * (4xx: missing permissions, unknown channel...) is {@link FailureKind#PERMANENT}: repeating it would only spend
 * Discord's invalid-request budget.
 */
public final class RestException extends Exception implements FailureKind.Classified {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String body;

    public RestException(String message, int status, String body) {
        super(message);
        this.status = status;
        this.body = body;
    }

    public int status() {
        return status;
    }

    /** Discord's error body (JSON with {@code code} and {@code message}), or empty. */
    public String body() {
        return body;
    }

    /**
     * Whether trying again may help: the proxy unreachable or silent (0), 429, 5xx; and a request this client did
     * not send (-1: the shard lost, or the interaction's deadline passed), which the worker then settles by its own
     * checks (fenced, or too old) rather than as Discord's refusal.
     */
    public boolean retryable() {
        return status <= 0 || status == 429 || status >= 500;
    }

    @Override
    public FailureKind kind() {
        return retryable() ? FailureKind.TRANSIENT : FailureKind.PERMANENT;
    }
}
