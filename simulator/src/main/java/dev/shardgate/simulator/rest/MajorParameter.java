package dev.shardgate.simulator.rest;

import java.util.Map;

/** Discord's top-level resources: a bucket's state is kept apart per value of its route's major parameter. */
enum MajorParameter {
    CHANNEL("channel_id"),
    GUILD("guild_id"),
    /** A webhook id together with its token: each token is its own limit. */
    WEBHOOK("webhook_id"),
    /** Interaction callbacks: each interaction is its own limit. */
    INTERACTION("interaction_id"),
    NONE("");

    private final String pathParameter;

    MajorParameter(String pathParameter) {
        this.pathParameter = pathParameter;
    }

    /** The resource key, as used by bucket keys and shared-limit injection: {@code channel:123}, {@code none}. */
    String resource(Map<String, String> params) {
        return switch (this) {
            case NONE -> "none";
            case WEBHOOK -> "webhook:" + params.get(pathParameter) + ":" + params.get("webhook_token");
            default -> name().toLowerCase(java.util.Locale.ROOT) + ":" + params.get(pathParameter);
        };
    }
}
