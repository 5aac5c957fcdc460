package dev.shardgate.proxy.gateway;

/** The life of one shard. {@link Shard} changes it in one method, which logs and counts every transition. */
public enum ShardState {
    /** Created, not started. */
    IDLE,
    /**
     * Waiting for this process to take the shard's ownership lease: another instance owns it (and serves it), or
     * NATS cannot be reached to take it. Nothing is connected.
     */
    AWAITING_LEASE,
    /** Opening a WebSocket. */
    CONNECTING,
    /** Connected, waiting for op 10 Hello. */
    AWAITING_HELLO,
    /** Heartbeating, waiting in the identify queue for a bucket slot and session-start budget. */
    QUEUED,
    /** Identify sent, waiting for READY. */
    IDENTIFYING,
    /** Resume sent, Discord replays missed dispatches until RESUMED. */
    RESUMING,
    /** Session started with READY: events flow. */
    READY,
    /** Session resumed: events flow. */
    RESUMED,
    /** The connection is gone; a new one opens after a backoff. */
    RECONNECTING,
    /** Stopped for good: a fatal close code, a rejected token or the storm breaker. The reason says which. */
    FAILED,
    /** Closed by this process (shutdown or handover). */
    STOPPED;

    /** Dispatches flow and commands are accepted. */
    public boolean isLive() {
        return this == READY || this == RESUMED;
    }

    /** Nothing will change this state again. */
    public boolean isTerminal() {
        return this == FAILED || this == STOPPED;
    }
}
