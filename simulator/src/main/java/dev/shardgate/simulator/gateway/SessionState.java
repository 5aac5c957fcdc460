package dev.shardgate.simulator.gateway;

/** The life of a gateway session as the simulator sees it. */
public enum SessionState {
    /** A connection is attached and receiving dispatches. */
    ACTIVE,
    /** The connection went away abnormally; events queue until a resume or until the resume window ends. */
    DISCONNECTED,
    /** Ended (client closed 1000/1001, a fatal close, op 9 false, token reset): a resume gets op 9 false. */
    INVALIDATED,
    /** Stayed disconnected longer than the resume window. */
    EXPIRED
}
