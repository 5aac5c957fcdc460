package dev.shardgate.worker;

/** The life of a {@link Worker}; changed only by {@code Worker.transition}. */
public enum WorkerState {
    NEW,
    /** Connected to NATS, waiting for the gateway proxy to create the event stream. */
    WAITING_FOR_STREAM,
    RUNNING,
    /** Stopped pulling; finishing what it holds. */
    DRAINING,
    STOPPED
}
