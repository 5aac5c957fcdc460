package dev.shardgate.worker.gateway;

/**
 * A gateway command that did not reach the shard: refused by the proxy (its error text is the message),
 * nobody owns the shard, or no answer in time. {@link #retryable()} says whether trying again may help.
 */
public final class GatewayException extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean retryable;

    public GatewayException(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }
}
