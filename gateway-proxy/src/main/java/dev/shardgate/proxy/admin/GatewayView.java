package dev.shardgate.proxy.admin;

import dev.shardgate.proxy.fleet.IdentifyBudget;
import dev.shardgate.proxy.gateway.ShardStatus;
import dev.shardgate.proxy.gateway.StartupProgress;
import dev.shardgate.proxy.publish.PublisherStatus;
import io.nats.client.Connection;
import java.util.List;
import java.util.Optional;

/**
 * What the gateway role shows on the admin HTTP. Every method is safe from any thread and answers from memory
 * (no NATS round trip); parts that do not exist yet (before NATS or {@code /gateway/bot} answered) are empty.
 */
public interface GatewayView {
    /** The owned shards ({@code SHARD_IDS}), in id order; empty until {@code /gateway/bot} has answered. */
    List<ShardStatus> shards();

    /** The bot's total shard count, or 0 while not known yet. */
    int shardCount();

    StartupProgress.Snapshot startup();

    Optional<IdentifyBudget> identifyBudget();

    Optional<PublisherStatus> publisher();

    /** The connection events are published on, once made. */
    Optional<Connection> nats();

    /** The JetStream stream of the events ({@code EVENTS_STREAM}). */
    String streamName();
}
