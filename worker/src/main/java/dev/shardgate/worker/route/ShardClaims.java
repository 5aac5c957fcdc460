package dev.shardgate.worker.route;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * Ordered mode's shard claims: one key per shard, {@code shard-{n}}, naming the member token that may run the
 * shard's events, and the last gateway position handled there ({@link SeqPosition}), so the next holder goes on
 * checking that {@code seq} never goes backwards. A claim is taken with a compare-and-set: a create when there is
 * none, or an update on its revision when it names nobody (released) or a token that is no longer a live member
 * (expired: its replica died or froze past its lease, and that token never comes back, see {@link Membership}).
 * Of several replicas racing for a shard, one wins. A claim that names a live member is never taken, so two
 * replicas never hold one shard; the holder releases it (an update on its own revision) only after its last
 * event of the shard was settled. Blocking; used by one owner thread.
 */
public final class ShardClaims {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A claim this replica holds: the revision its release must match, and the position it found there. */
    public record Held(long revision, SeqPosition found) {
    }

    private final Connection connection;
    private final String bucket;
    private KeyValue kv;

    public ShardClaims(Connection connection, String bucket) {
        this.connection = connection;
        this.bucket = bucket;
    }

    /** The claims' bucket beside the membership's. */
    public static String bucketName(String membershipBucket) {
        return membershipBucket + "-claims";
    }

    /** Takes the shard for {@code token} if nobody live holds it; empty if someone does (or won the race). */
    public Optional<Held> take(int shard, String token, Set<String> liveMembers)
            throws IOException, JetStreamApiException {
        KeyValue claims = kv();
        String key = key(shard);
        KeyValueEntry entry = claims.get(key);
        try {
            if (entry == null || entry.getOperation() != KeyValueOperation.PUT) {
                return Optional.of(new Held(claims.create(key, value(token, SeqPosition.NONE)), SeqPosition.NONE));
            }
            JsonNode claim = JSON.readTree(entry.getValue());
            String owner = claim.path("owner").asText("");
            SeqPosition found = new SeqPosition(claim.path("session").asText(""), claim.path("seq").asLong(-1));
            if (!owner.isEmpty() && !owner.equals(token) && liveMembers.contains(owner)) {
                return Optional.empty();
            }
            return Optional.of(new Held(claims.update(key, value(token, found), entry.getRevision()), found));
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == KeyValueBuckets.WRONG_LAST_SEQUENCE) {
                return Optional.empty(); // another replica took it first
            }
            throw e;
        }
    }

    /** Hands the shard back with the last position handled; false if the claim is no longer ours. */
    public boolean release(int shard, Held held, SeqPosition last) throws IOException, JetStreamApiException {
        try {
            kv().update(key(shard), value("", last), held.revision());
            return true;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == KeyValueBuckets.WRONG_LAST_SEQUENCE) {
                return false;
            }
            throw e;
        }
    }

    private KeyValue kv() throws IOException, JetStreamApiException {
        if (kv == null) {
            kv = KeyValueBuckets.open(connection, bucket, Duration.ZERO);
        }
        return kv;
    }

    private static String key(int shard) {
        return "shard-" + shard;
    }

    private static byte[] value(String owner, SeqPosition position) {
        return JSON.createObjectNode().put("owner", owner).put("session", position.session()).put("seq", position.seq())
                .toString().getBytes(StandardCharsets.UTF_8);
    }
}
