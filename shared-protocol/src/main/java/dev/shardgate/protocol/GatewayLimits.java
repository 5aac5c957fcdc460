package dev.shardgate.protocol;

import java.time.Duration;

/** Discord's documented gateway limits (discord-gateway.md §1 and §15). */
public final class GatewayLimits {
    /** The largest payload a client may send; a bigger one closes the connection with 4002. */
    public static final int MAX_PAYLOAD_BYTES = 4096;
    /** Payloads a client may send per {@link #SEND_WINDOW} on one connection; more closes with 4008. */
    public static final int SEND_LIMIT = 120;
    public static final Duration SEND_WINDOW = Duration.ofSeconds(60);
    /** One identify per max_concurrency bucket per this window. */
    public static final Duration IDENTIFY_WINDOW = Duration.ofSeconds(5);
    /** Discord's API and gateway version. */
    public static final int API_VERSION = 10;

    private GatewayLimits() {
    }
}
