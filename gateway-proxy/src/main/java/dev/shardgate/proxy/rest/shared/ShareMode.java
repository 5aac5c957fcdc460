package dev.shardgate.proxy.rest.shared;

/**
 * How a replica takes part in the shared limits. Changed only by {@link SharedLimiter}'s transition method. Each
 * has its value of the {@code shardgate_rest_share_mode} gauge, which dashboards and docs rely on.
 */
public enum ShareMode {
    /**
     * No leader reachable: this replica limits itself to its share, {@code 1 / replicas} (the most registered lately,
     * at least {@code REST_REPLICAS}).
     */
    FALLBACK(0),
    /** Another replica holds the limits; every request asks it for a permit. */
    FOLLOWER(1),
    /** This replica holds the lease and the limits, for itself and for every follower. */
    LEADER(2);

    private final int gaugeValue;

    ShareMode(int gaugeValue) {
        this.gaugeValue = gaugeValue;
    }

    /** This mode's value of the {@code shardgate_rest_share_mode} gauge. */
    public int gaugeValue() {
        return gaugeValue;
    }

    /** The mode whose gauge value this is. */
    public static ShareMode ofGaugeValue(int value) {
        for (ShareMode m : values()) {
            if (m.gaugeValue == value) {
                return m;
            }
        }
        throw new IllegalArgumentException("no share mode has the gauge value " + value);
    }
}
