package dev.shardgate.proxy.fleet;

import dev.shardgate.proxy.gateway.IdentifyQueue;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueStatus;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.time.Duration;

/**
 * The JetStream key-value buckets that the proxies of a bot (and of every bot sharing the NATS, each under its own
 * key prefix) coordinate through. Each is created if absent, with file storage and the configured replicas; an
 * existing bucket is used as it is, and what matters of its configuration (the lease TTL) is read back from it.
 *
 * <ul>
 *   <li>{@value #LEASES}: one liveness lease per proxy process; the bucket's TTL is a lease's life without renewal.
 *   <li>{@value #CLAIMS}: one ownership claim per shard, naming the process (lease) that owns it; no TTL: a claim
 *       is only as good as its owner's lease, and an instance whose lease is gone can have its claims taken.
 *   <li>{@value #IDENTIFY}: one key per {@code max_concurrency} bucket, created by the instance that may identify
 *       and expired by the server after {@link #IDENTIFY_WINDOW}: Discord's 5 s plus a margin, on the NATS server's
 *       single clock. An existing bucket with a shorter TTL is raised to it; a longer one is kept (safe, slower).
 *   <li>{@value #SESSIONS}: per-shard session checkpoints and the bot's session-start budget.
 * </ul>
 */
public record FleetBuckets(KeyValue leases, Duration leaseTtl, KeyValue claims, KeyValue identify,
                           KeyValue sessions) {
    public static final String LEASES = "shardgate_leases";
    public static final String CLAIMS = "shardgate_claims";
    public static final String IDENTIFY = "shardgate_identify";
    public static final String SESSIONS = "shardgate_sessions";
    /** Discord's 5 s per bucket plus the margin for the claim's round trip and arrival jitter. */
    public static final Duration IDENTIFY_WINDOW = IdentifyQueue.WINDOW;
    private static final System.Logger LOG = System.getLogger(FleetBuckets.class.getName());

    public static FleetBuckets open(Connection nats, Duration leaseTtl, Duration sessionTtl, int replicas)
            throws IOException, JetStreamApiException {
        KeyValueManagement kvm = nats.keyValueManagement();
        KeyValueStatus leases = ensure(kvm, LEASES, leaseTtl, replicas);
        if (!leases.getTtl().equals(leaseTtl)) {
            LOG.log(System.Logger.Level.WARNING, "bucket {0} exists with a TTL of {1} ms, not LEASE_TTL {2} ms; the "
                    + "bucket's TTL is what leases live by", LEASES, leases.getTtl().toMillis(), leaseTtl.toMillis());
        }
        ensure(kvm, CLAIMS, Duration.ZERO, replicas);
        KeyValueStatus identify = ensure(kvm, IDENTIFY, IDENTIFY_WINDOW, replicas);
        if (identify.getTtl().compareTo(IDENTIFY_WINDOW) < 0) {
            // A shorter claim would let two identifies of a bucket reach Discord within 5 s: never keep one.
            LOG.log(System.Logger.Level.WARNING, "bucket {0} exists with a TTL of {1} ms, under the {2} ms an identify "
                    + "window needs; raising it", IDENTIFY, identify.getTtl().toMillis(), IDENTIFY_WINDOW.toMillis());
            kvm.update(KeyValueConfiguration.builder(identify.getConfiguration()).ttl(IDENTIFY_WINDOW).build());
        } else if (identify.getTtl().compareTo(IDENTIFY_WINDOW) > 0) {
            // Kept (an older version of the proxy may still claim with it); only start-up is slower.
            LOG.log(System.Logger.Level.WARNING, "bucket {0} exists with a TTL of {1} ms, over the {2} ms this "
                    + "version needs: each round of identifies takes that long. Delete the bucket (it holds only "
                    + "claims of the last seconds) once no older proxy runs", IDENTIFY, identify.getTtl().toMillis(),
                    IDENTIFY_WINDOW.toMillis());
        }
        ensure(kvm, SESSIONS, sessionTtl, replicas);
        return new FleetBuckets(nats.keyValue(LEASES), leases.getTtl(), nats.keyValue(CLAIMS), nats.keyValue(IDENTIFY),
                nats.keyValue(SESSIONS));
    }

    private static KeyValueStatus ensure(KeyValueManagement kvm, String name, Duration ttl, int replicas)
            throws IOException, JetStreamApiException {
        if (!kvm.getBucketNames().contains(name)) {
            try {
                return kvm.create(KeyValueConfiguration.builder().name(name).ttl(ttl).maxHistoryPerKey(1)
                        .replicas(replicas).storageType(StorageType.File).build());
            } catch (JetStreamApiException e) {
                // Another proxy created it at the same moment: use theirs.
                if (!kvm.getBucketNames().contains(name)) {
                    throw e;
                }
            }
        }
        return kvm.getStatus(name);
    }
}
