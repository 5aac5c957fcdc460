package dev.shardgate.worker.rest;

/**
 * A REST call that did not succeed: Discord (through the proxy) answered an error status, or the proxy could
 * not be reached ({@link #status()} 0). {@link #retryable()} is true for what may work later: an unreachable
 * proxy, 429 and 5xx.
 */
public final class RestException extends Exception {
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

    public boolean retryable() {
        return status == 0 || status == 429 || status >= 500;
    }
}
