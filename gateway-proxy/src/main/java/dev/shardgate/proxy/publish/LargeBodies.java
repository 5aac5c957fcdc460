package dev.shardgate.proxy.publish;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.ObjectStore;
import io.nats.client.ObjectStoreManagement;
import io.nats.client.api.ObjectInfo;
import io.nats.client.api.ObjectMeta;
import io.nats.client.api.ObjectStoreConfiguration;
import io.nats.client.api.StorageType;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;

/**
 * Puts bodies larger than the server's {@code max_payload} whole into the JetStream object store bucket
 * {@code {stream}_LARGE}, one object per event named by its {@code Nats-Msg-Id}. The bucket is created at the first
 * large body if absent (file storage, the stream's max age, the configured replicas); an existing bucket is left as
 * it is, like the stream. Objects are written in chunks of at most the server's {@code max_payload}.
 *
 * <p>Blocking; called on the publisher's put threads (one virtual thread per large event). Thread-safe: the bucket
 * is set up once under this object's lock.
 */
final class LargeBodies {
    private static final System.Logger LOG = System.getLogger(LargeBodies.class.getName());
    /** jnats' default chunk; smaller when the server's max_payload is. */
    private static final int MAX_CHUNK = 128 * 1024;
    /** JSStreamNotFoundErr: the bucket's stream does not exist. */
    private static final int NOT_FOUND = 10059;

    private final Connection nats;
    private final String bucket;
    private final Duration maxAge;
    private final int replicas;
    private ObjectStore store;

    LargeBodies(Connection nats, String streamName, Duration maxAge, int replicas) {
        this.nats = nats;
        this.bucket = bucketName(streamName);
        this.maxAge = maxAge;
        this.replicas = replicas;
    }

    /** CONTRACT.md: {@code {stream}_LARGE}. */
    static String bucketName(String streamName) {
        return streamName + "_LARGE";
    }

    /**
     * Stores {@code body} under {@code name}, unless an object of that name and size is there already: the same
     * event replayed after a resume (same message id, same bytes), which must not rewrite an object a worker may be
     * reading.
     */
    void put(String name, byte[] body, long maxPayload) throws IOException, JetStreamApiException {
        ObjectStore objects = store();
        ObjectInfo existing = objects.getInfo(name);
        if (existing != null && existing.getSize() == body.length) {
            return;
        }
        int chunk = (int) Math.min(MAX_CHUNK, maxPayload);
        try {
            objects.put(ObjectMeta.builder(name).chunkSize(chunk).build(), new ByteArrayInputStream(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    private synchronized ObjectStore store() throws IOException, JetStreamApiException {
        if (store == null) {
            ensureBucket();
            store = nats.objectStore(bucket);
        }
        return store;
    }

    private void ensureBucket() throws IOException, JetStreamApiException {
        ObjectStoreManagement management = nats.objectStoreManagement();
        try {
            management.getStatus(bucket);
            return;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != NOT_FOUND) {
                throw e;
            }
        }
        management.create(ObjectStoreConfiguration.builder(bucket).storageType(StorageType.File).ttl(maxAge)
                .replicas(replicas).build());
        LOG.log(System.Logger.Level.INFO, "created object store bucket {0} for bodies over the server''s max_payload "
                + "(max age {1}, {2} replica(s))", bucket, maxAge, replicas);
    }
}
