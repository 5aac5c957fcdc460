package dev.shardgate.proxy.rest.limit;

/** What the proxy may do with one token's requests. Changed only by {@link TokenLimits#transition}. */
public enum TokenState {
    /** Requests go out, paced by the limits. */
    ACTIVE,
    /** Discord answered 401: nothing goes out except one probe per interval, until a probe is not refused. */
    LOCKED,
    /** Cloudflare answered (a 429 without Discord's body): nothing goes out until its Retry-After passes. */
    BANNED
}
