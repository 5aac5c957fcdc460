package dev.shardgate.simulator.rest;

import java.util.Locale;

/** Why a 429 was answered: Discord's {@code X-RateLimit-Scope} values, plus the Cloudflare ban. */
public enum RateLimitScope {
    USER,
    GLOBAL,
    SHARED,
    /** The IP is banned; the 1015 answer has no {@code X-RateLimit-Scope} at all. */
    CLOUDFLARE;

    String headerValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
