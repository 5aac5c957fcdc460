package dev.shardgate.protocol;

/** What a shard does after its connection closed with a given code. */
public enum CloseAction {
    /** Keep the session: reconnect to {@code resume_gateway_url} and send op 6. */
    RESUME,
    /** The session is gone: reconnect to the base URL and identify through the identify queue. */
    IDENTIFY,
    /** Retrying cannot help (bad token, bad shard, bad intents): stop the shard and say why. */
    STOP
}
