package dev.shardgate.proxy.handover;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardgate.proxy.gateway.Session;
import dev.shardgate.proxy.gateway.Shard.HandedOverSession;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.time.Duration;
import java.util.Optional;

/**
 * Hands sessions from a stopping proxy to the next one (CONTRACT.md, SIGTERM): a JetStream key-value bucket,
 * {@value #BUCKET}, keyed {@code {prefix}.{shard}}, holding {@code session_id}, {@code seq} and
 * {@code resume_gateway_url}. Entries expire after a TTL a little longer than Discord keeps a session, and are
 * deleted once read, so a session is never resumed twice. The same bucket keeps, under
 * {@code {prefix}.identify.{bucket}}, when a shard of each identify bucket last identified, so that the next process
 * keeps Discord's 5 s per bucket across a restart.
 *
 * <p>Called from the proxy's start-up and shutdown threads, and {@link #recordIdentify} from the identify queue's
 * thread (it never blocks); jnats' clients are thread-safe.
 */
public final class SessionStore {
    public static final String BUCKET = "shardgate_sessions";
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final System.Logger LOG = System.getLogger(SessionStore.class.getName());

    private final KeyValue kv;
    private final JetStream js;
    private final String prefix;

    private SessionStore(KeyValue kv, JetStream js, String prefix) {
        this.kv = kv;
        this.js = js;
        this.prefix = prefix;
    }

    /** Opens the bucket, creating it if absent. */
    public static SessionStore open(Connection nats, String prefix, Duration ttl)
            throws IOException, JetStreamApiException {
        var kvm = nats.keyValueManagement();
        if (!kvm.getBucketNames().contains(BUCKET)) {
            try {
                kvm.create(KeyValueConfiguration.builder().name(BUCKET).ttl(ttl).storageType(StorageType.File)
                        .build());
            } catch (JetStreamApiException e) {
                // Another proxy created it at the same moment; that is fine.
                if (!kvm.getBucketNames().contains(BUCKET)) {
                    throw e;
                }
            }
        }
        return new SessionStore(nats.keyValue(BUCKET), nats.jetStream(), prefix);
    }

    public void save(HandedOverSession s) throws IOException, JetStreamApiException {
        ObjectNode node = JSON.createObjectNode()
                .put("session_id", s.session().sessionId())
                .put("seq", s.seq())
                .put("resume_gateway_url", s.session().resumeGatewayUrl().toString());
        kv.put(key(s.shard()), JSON.writeValueAsBytes(node));
    }

    /** The session handed over for this shard, if any; it is removed so that only one process resumes it. */
    public Optional<HandedOverSession> take(int shard) throws IOException, JetStreamApiException {
        KeyValueEntry entry = kv.get(key(shard));
        if (entry == null || entry.getValue() == null || entry.getValue().length == 0) {
            return Optional.empty();
        }
        kv.delete(key(shard));
        JsonNode node = JSON.readTree(entry.getValue());
        JsonNode sid = node.get("session_id");
        JsonNode seq = node.get("seq");
        JsonNode url = node.get("resume_gateway_url");
        if (sid == null || seq == null || url == null || !seq.canConvertToLong()) {
            throw new IOException("handed-over session for shard " + shard + " is incomplete: " + node);
        }
        return Optional.of(new HandedOverSession(shard, new Session(sid.asText(), URI.create(url.asText())),
                seq.asLong()));
    }

    /**
     * Records that a shard of {@code bucket} identified at {@code at}, without waiting: a JetStream publish to the
     * key's subject, which is what a key-value put is. Best effort: a lost record costs the next process one
     * identify answered by op 9.
     */
    public void recordIdentify(int bucket, Instant at) {
        try {
            js.publishAsync("$KV." + BUCKET + "." + identifyKey(bucket),
                    Long.toString(at.toEpochMilli()).getBytes(StandardCharsets.US_ASCII))
                    .whenComplete((ack, error) -> {
                        if (error != null) {
                            LOG.log(System.Logger.Level.DEBUG, "identify of bucket {0} not recorded: {1}", bucket,
                                    error.toString());
                        }
                    });
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "identify of bucket {0} not recorded: {1}", bucket, e.toString());
        }
    }

    /**
     * When earlier processes last identified a shard of each bucket {@code 0 .. buckets-1}, as recorded with
     * {@link #recordIdentify} (the recorder's clock; entries expire with the bucket's TTL).
     */
    public Map<Integer, Instant> lastIdentifies(int buckets) throws IOException, JetStreamApiException {
        Map<Integer, Instant> out = new HashMap<>();
        for (int b = 0; b < buckets; b++) {
            KeyValueEntry entry = kv.get(identifyKey(b));
            if (entry != null && entry.getValue() != null) {
                try {
                    out.put(b, Instant.ofEpochMilli(Long.parseLong(entry.getValueAsString().trim())));
                } catch (NumberFormatException e) {
                    LOG.log(System.Logger.Level.WARNING, "ignoring an unreadable identify record of bucket {0}", b);
                }
            }
        }
        return out;
    }

    private String identifyKey(int bucket) {
        return prefix + ".identify." + bucket;
    }

    private String key(int shard) {
        return prefix + "." + shard;
    }
}
