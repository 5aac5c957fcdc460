package dev.shardgate.proxy.rest.shared;

/** How a replica takes part in the shared limits. Changed only by {@link SharedLimiter}'s transition method. */
public enum ShareMode {
    /**
     * No leader reachable: this replica limits itself to its share, {@code 1 / replicas} (the most registered lately,
     * at least {@code REST_REPLICAS}).
     */
    FALLBACK,
    /** Another replica holds the limits; every request asks it for a permit. */
    FOLLOWER,
    /** This replica holds the lease and the limits, for itself and for every follower. */
    LEADER
}
