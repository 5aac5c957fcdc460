package dev.shardgate.proxy.rest.limit;

/** What an answer says about the limits, decided once from its status, headers and body (§5.2, §9). */
public enum RateLimitScope {
    /** Not a 429. */
    NONE,
    /** A per-route limit of this token, with the bucket shown as exhausted: the limiter's model was wrong. */
    USER,
    /** A 429 while the bucket still showed requests left: a hidden sublimit of this one request's kind. */
    SUBLIMIT,
    /** The token went over its global limit. */
    GLOBAL,
    /** The resource is limited for everyone; does not count as invalid. */
    SHARED,
    /** A 429 without Discord's JSON body: Cloudflare is refusing this IP. */
    CLOUDFLARE;

    /** Whether Discord counts this toward the 10,000 invalid requests per 10 minutes. */
    public boolean countsAsInvalid() {
        return this != NONE && this != SHARED;
    }
}
