package dev.shardgate.worker.route;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.time.Duration;

/** Opens the ordered mode's key-value buckets, creating them the first time. Stateless. */
final class KeyValueBuckets {
    /** JSStreamWrongLastSequenceErr: a compare-and-set on a revision that is no longer the key's latest. */
    static final int WRONG_LAST_SEQUENCE = 10071;

    private KeyValueBuckets() {
    }

    /**
     * @param ttl how long an entry lives after its last write; {@link Duration#ZERO} for ever. File storage: a NATS
     *     restart must not forget who holds a shard while that replica still runs it.
     */
    static KeyValue open(Connection connection, String bucket, Duration ttl) throws IOException, JetStreamApiException {
        var management = connection.keyValueManagement();
        if (!management.getBucketNames().contains(bucket)) {
            KeyValueConfiguration.Builder config = KeyValueConfiguration.builder().name(bucket).maxHistoryPerKey(1)
                    .storageType(StorageType.File);
            if (!ttl.isZero()) {
                config.ttl(ttl);
            }
            management.create(config.build());
        }
        return connection.keyValue(bucket);
    }
}
