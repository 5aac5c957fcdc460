package dev.shardgate.simulator.gateway;

/** A snapshot of one gateway session, for tests and the control API. */
public record SessionView(String sessionId, int shardId, int shardCount, int intents, long seq, SessionState state,
                          boolean connected) {
}
