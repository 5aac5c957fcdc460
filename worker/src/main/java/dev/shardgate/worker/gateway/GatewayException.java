package dev.shardgate.worker.gateway;

import dev.shardgate.worker.FailureKind;

/**
 * A gateway command that did not reach the shard: refused by the proxy (its error text is the message),
 * nobody owns the shard, or no answer in time. {@link #retryable()} says whether trying again may help: nobody
 * owning the shard (a proxy hand-over) and silence are {@link FailureKind#TRANSIENT}, a refusal is
 * {@link FailureKind#PERMANENT}.
 */
public final class GatewayException extends Exception implements FailureKind.Classified {
    private static final long serialVersionUID = 1L;
    private final boolean retryable;

    public GatewayException(String message, boolean retryable) {
        super(message);
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }

    @Override
    public FailureKind kind() {
        return retryable ? FailureKind.TRANSIENT : FailureKind.PERMANENT;
    }
}
