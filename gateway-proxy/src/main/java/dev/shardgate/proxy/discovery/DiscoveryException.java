package dev.shardgate.proxy.discovery;

/**
 * {@code GET /gateway/bot} failed. {@link #retryable()} says whether asking again can help: a rejected token
 * cannot, a timeout or a 5xx can.
 */
public final class DiscoveryException extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean retryable;

    public DiscoveryException(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }
}
