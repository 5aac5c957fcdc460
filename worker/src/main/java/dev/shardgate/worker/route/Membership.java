package dev.shardgate.worker.route;

import io.nats.client.Connection;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.StorageType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;

/**
 * The live replicas of one consumer group, kept in a NATS key-value bucket: each replica writes its key every
 * heartbeat and the bucket forgets keys older than three heartbeats, so a replica that dies or freezes drops
 * out on its own. Calls are blocking and made by one owner (the ordered consumption's rebalance thread).
 */
public final class Membership {
    public static final Duration HEARTBEAT = Duration.ofSeconds(2);
    static final Duration TTL = HEARTBEAT.multipliedBy(3);

    private final Connection connection;
    private final String bucket;
    private final String self;
    private KeyValue kv;

    public Membership(Connection connection, String bucket, String self) {
        this.connection = connection;
        this.bucket = bucket;
        this.self = self;
    }

    /** The bucket's name for a subject prefix and consumer: only letters, digits, '_' and '-'. */
    public static String bucketName(String prefix, String consumer) {
        return "shardgate-workers-" + prefix.replace('.', '_') + "-" + consumer;
    }

    public String self() {
        return self;
    }

    /** Writes this replica's key (creating the bucket the first time). */
    public void heartbeat() throws Exception {
        if (kv == null) {
            var management = connection.keyValueManagement();
            if (!management.getBucketNames().contains(bucket)) {
                management.create(KeyValueConfiguration.builder().name(bucket).ttl(TTL).maxHistoryPerKey(1)
                        .storageType(StorageType.Memory).build());
            }
            kv = connection.keyValue(bucket);
        }
        kv.put(self, Instant.now().toString().getBytes(StandardCharsets.UTF_8));
    }

    public Set<String> members() throws Exception {
        if (kv == null) {
            heartbeat();
        }
        return new TreeSet<>(kv.keys());
    }

    /** Removes this replica at once, so the others take its shards without waiting for the TTL. */
    public void leave() throws Exception {
        if (kv != null) {
            kv.purge(self);
        }
    }
}
