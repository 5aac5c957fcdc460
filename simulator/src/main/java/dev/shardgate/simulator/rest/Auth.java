package dev.shardgate.simulator.rest;

/** How an endpoint is authenticated. */
enum Auth {
    /** {@code Authorization: Bot <token>} is required. */
    BOT,
    /** A webhook or interaction token in the path authenticates; no {@code Authorization} is needed. */
    TOKEN_IN_PATH
}
