package dev.shardgate.worker.route;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;

/**
 * The live replicas of one consumer group, and this replica's lease among them, kept in a NATS key-value bucket
 * whose entries expire {@link #TTL} after their last write. Each replica writes its key every {@link #HEARTBEAT}
 * with a compare-and-set on the key's revision, so a replica that dies or freezes drops out on its own.
 *
 * <p>The key is a <em>token</em>, the replica id and an epoch: once its entry has expired (a freeze, a partition)
 * the renewal's compare-and-set fails and the replica takes a new token, so a token that was gone never comes back
 * and "the owner's token is absent" is a fact other replicas act on ({@link ShardClaims}).
 *
 * <p>Fencing without shared clocks: a renewal the server stored extends the entry from no earlier than the moment it
 * was sent, so this replica holds its lease until {@code sent + TTL - MARGIN} of its latest acknowledged renewal, on
 * its own monotonic clock. {@link #holds()} turns false at that instant even if the renewing thread is late or the
 * whole process was stopped, which happens before the server can drop the entry and let another replica take its
 * shards.
 *
 * <p>Renewals and reads are blocking and made by one owner (the ordered consumption's rebalance thread);
 * {@link #holds()} and {@link #token()} are read from any thread.
 */
public final class Membership {
    public static final Duration HEARTBEAT = Duration.ofSeconds(2);
    static final Duration TTL = HEARTBEAT.multipliedBy(3);
    /** Allowance for the server's clock running faster than ours between a renewal and its expiry. */
    static final Duration MARGIN = Duration.ofSeconds(1);

    /** The entry expired or was changed by someone else: this replica's token is gone for good. */
    public static final class LeaseLostException extends Exception {
        private static final long serialVersionUID = 1L;

        LeaseLostException(String message) {
            super(message);
        }
    }

    private final Connection connection;
    private final String bucket;
    private final String self;
    private KeyValue kv;
    private int epoch = 1;
    private volatile String token;
    private long revision;
    private volatile long validUntilNanos = System.nanoTime();

    public Membership(Connection connection, String bucket, String self) {
        this.connection = connection;
        this.bucket = bucket;
        this.self = self;
        this.token = self + "." + epoch;
    }

    /** The bucket's name for a subject prefix and consumer: only letters, digits, '_' and '-'. */
    public static String bucketName(String prefix, String consumer) {
        return "shardgate-workers-" + prefix.replace('.', '_') + "-" + consumer;
    }

    public String self() {
        return self;
    }

    /** This replica's current token, its name among the {@link #members()}. */
    public String token() {
        return token;
    }

    /** Whether this replica's lease is certainly still alive, on the monotonic clock. */
    public boolean holds() {
        return System.nanoTime() - validUntilNanos < 0;
    }

    /**
     * Writes this replica's key (creating the bucket the first time, and the key in a new epoch).
     *
     * @throws LeaseLostException the key expired since the last renewal; the next call starts a new epoch
     */
    public void heartbeat() throws IOException, JetStreamApiException, InterruptedException, LeaseLostException {
        if (kv == null) {
            kv = KeyValueBuckets.open(connection, bucket, TTL);
        }
        byte[] value = Instant.now().toString().getBytes(StandardCharsets.UTF_8);
        long sent = System.nanoTime();
        if (revision == 0) {
            revision = kv.create(token, value);
        } else {
            try {
                revision = kv.update(token, value, revision);
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() != KeyValueBuckets.WRONG_LAST_SEQUENCE) {
                    throw e;
                }
                validUntilNanos = sent;
                String lost = token;
                epoch++;
                token = self + "." + epoch;
                revision = 0;
                throw new LeaseLostException("the membership entry " + lost + " expired (frozen or cut off for over "
                        + TTL + "); rejoining as " + token);
            }
        }
        validUntilNanos = sent + TTL.minus(MARGIN).toNanos();
    }

    /** The tokens of the live replicas. */
    public Set<String> members() throws IOException, JetStreamApiException, InterruptedException {
        if (kv == null) {
            kv = KeyValueBuckets.open(connection, bucket, TTL);
        }
        return new TreeSet<>(kv.keys());
    }

    /** Removes this replica at once, so the others take its shards without waiting for the TTL. */
    public void leave() throws IOException, JetStreamApiException {
        validUntilNanos = System.nanoTime();
        if (kv != null && revision != 0) {
            kv.delete(token, revision);
        }
    }
}
