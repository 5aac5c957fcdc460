package dev.shardgate.proxy.config;

/** What a proxy process runs ({@code ROLES}). */
public enum Role {
    /** Shards, events to JetStream, gateway commands from workers. Needs NATS. */
    GATEWAY,
    /** The REST rate-limiting proxy. Needs NATS only when limits are shared between replicas. */
    REST
}
