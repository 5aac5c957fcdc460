package dev.shardgate.simulator.gateway;

/** A gateway connection's life on the server side. */
enum ConnectionState {
    /** Hello sent; only heartbeats, Identify and Resume are allowed. */
    AWAITING_AUTH,
    /** Identified or resumed: commands allowed, dispatches flow. */
    AUTHENTICATED,
    /** The server closed or dropped it, or the client went away. */
    CLOSED
}
