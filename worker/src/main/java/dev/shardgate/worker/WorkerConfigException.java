package dev.shardgate.worker;

/** A worker setting that is missing or invalid; the message names the variable and is safe to print. */
public final class WorkerConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public WorkerConfigException(String message) {
        super(message);
    }
}
