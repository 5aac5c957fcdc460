package dev.shardgate.proxy.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.protocol.BotToken;
import dev.shardgate.proxy.gateway.Session;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.NatsMessage;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Session checkpoints in the KV bucket {@value FleetBuckets#SESSIONS}, key {@code {prefix}.{shard}}: session id,
 * resume URL and the last seq whose events are all stored in JetStream, plus what makes a checkpoint trustworthy
 * when read back: the bot (a hash of the token, never the token), the shard count, when it was written, and the
 * writing process. Written as sessions advance ({@link CheckpointWriter} bounds the rate) and at SIGTERM; read by
 * whichever instance takes the shard's lease next, which resumes from it.
 *
 * <p>Every write is a compare-and-set on the revision this process last wrote or read, so a process that lost a
 * shard can never overwrite the checkpoint of the instance that took it over. A write whose acknowledgement was
 * lost is recognised by the writer id and adopted.
 *
 * <p>Threads: {@link #read} runs on the virtual thread that starts a shard after its lease is taken, writes on the
 * checkpoint writer's thread or the shutdown thread; a write's outcome is handled on a virtual thread
 * ({@code shardgate-checkpoint-ack}), never on jnats' reply thread, since a lost race reads the key. Per-shard
 * revisions are in a concurrent map.
 */
public final class Checkpoints {
    private static final System.Logger LOG = System.getLogger(Checkpoints.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Completes writes off jnats' reply thread; virtual, so it needs no shutdown. */
    private static final Executor AFTER_WRITE = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("shardgate-checkpoint-ack").factory());

    private final KeyValue kv;
    private final JetStream js;
    private final String subjectPrefix = "$KV." + FleetBuckets.SESSIONS + ".";
    private final String prefix;
    private final String bot;
    private final int shardCount;
    private final Duration maxAge;
    private final Clock clock;
    private final String writer = UUID.randomUUID().toString();
    /** The revision to write on top of, per shard; absent = not ours to write (lost, or never read). */
    private final Map<Integer, Long> revisions = new ConcurrentHashMap<>();
    private final Counter writes;
    private final Counter writeFailures;

    public Checkpoints(KeyValue kv, JetStream js, String prefix, BotToken token, int shardCount, Duration maxAge, Clock clock,
            MeterRegistry registry) {
        this.kv = kv;
        this.js = js;
        this.prefix = prefix;
        this.bot = botId(token);
        this.shardCount = shardCount;
        this.maxAge = maxAge;
        this.clock = clock;
        this.writes = Counter.builder("shardgate_checkpoint_writes").description("Session checkpoints written to KV")
                .register(registry);
        this.writeFailures = Counter.builder("shardgate_checkpoint_write_failures")
                .description("Session checkpoint writes that failed (retried at the next interval)").register(registry);
    }

    /**
     * The shard's checkpoint if it can be trusted: same bot, same shard count, not older than Discord keeps a
     * session. An untrustworthy one is logged with the reason and ignored (the shard identifies); a read that fails
     * throws, so the caller can try again rather than identify needlessly. Afterwards this process may write the
     * shard's checkpoint.
     */
    public Optional<Checkpoint> read(int shard) throws IOException, JetStreamApiException {
        KeyValueEntry entry = kv.get(key(shard));
        // An absent key is written on top of 0; a deleted one (rare) is found by the first write's lost race.
        revisions.put(shard, entry == null ? 0L : entry.getRevision());
        if (entry == null || entry.getValue() == null || entry.getValue().length == 0) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(entry.getValue());
            String why = untrusted(n);
            if (why != null) {
                LOG.log(System.Logger.Level.WARNING, "shard {0}: checkpoint ignored ({1}); identifying", shard, why);
                return Optional.empty();
            }
            return Optional.of(new Checkpoint(shard, new Session(n.get("session_id").asText(),
                    URI.create(n.get("resume_gateway_url").asText())), n.get("seq").asLong()));
        } catch (IOException | IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "shard {0}: checkpoint unreadable ({1}); identifying", shard,
                    e.getMessage());
            return Optional.empty();
        }
    }

    private String untrusted(JsonNode n) {
        for (String field : new String[] {"session_id", "resume_gateway_url", "seq", "bot", "shard_count", "written_at"}) {
            if (n == null || !n.hasNonNull(field)) {
                return "no " + field + ": corrupt, or written by an older version";
            }
        }
        if (!bot.equals(n.get("bot").asText())) {
            return "written for another bot token";
        }
        if (n.get("shard_count").asInt() != shardCount) {
            return "written for " + n.get("shard_count").asInt() + " shards, the bot now runs " + shardCount;
        }
        if (!n.get("seq").canConvertToLong() || n.get("seq").asLong() < 0) {
            return "seq is not a sequence number";
        }
        Duration age = Duration.between(Instant.ofEpochMilli(n.get("written_at").asLong()), clock.instant());
        if (age.compareTo(maxAge) > 0) {
            return "written " + age.toSeconds() + " s ago, longer than Discord keeps a session (SESSION_HANDOVER_TTL "
                    + maxAge.toSeconds() + " s)";
        }
        if (!URI.create(n.get("resume_gateway_url").asText()).isAbsolute()) {
            return "resume_gateway_url is not an absolute URL";
        }
        return null;
    }

    /**
     * Writes a checkpoint on top of the revision last written or read, without waiting: a JetStream publish with an
     * expected-last-sequence header is exactly a KV compare-and-set, and many of them are pipelined on one
     * connection. Completes with false when this process may no longer write it (another process wrote since) or
     * the write failed (the next one retries).
     */
    public CompletableFuture<Boolean> write(Checkpoint c) {
        Long revision = revisions.get(c.shard());
        if (revision == null) {
            return CompletableFuture.completedFuture(false);
        }
        CompletableFuture<PublishAck> ack;
        try {
            ack = js.publishAsync(NatsMessage.builder().subject(subjectPrefix + key(c.shard())).data(encode(c)).build(),
                    PublishOptions.builder().expectedLastSubjectSequence(revision).build());
        } catch (RuntimeException e) {
            writeFailures.increment();
            return CompletableFuture.completedFuture(false);
        }
        // Async: a lost race reads the key, which must not happen on the jnats thread that delivers the replies.
        return ack.handleAsync((a, error) -> {
            if (error == null) {
                revisions.replace(c.shard(), revision, a.getSeqno());
                writes.increment();
                return true;
            }
            if (KvErrors.lostRace(error)) {
                return adoptOrGiveUp(c.shard());
            }
            writeFailures.increment();
            return false;
        }, AFTER_WRITE);
    }

    /** {@link #write}, waiting up to {@code timeout} for the answer (the SIGTERM hand-over). */
    public boolean writeNow(Checkpoint c, Duration timeout) {
        try {
            return write(c).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException e) {
            writeFailures.increment();
            return false;
        }
    }

    /**
     * After a lost compare-and-set: a write of ours whose ack was lost is adopted; a checkpoint that is gone (expired
     * on a quiet shard, or deleted) is written afresh at the next interval, since nobody else wrote it; anyone else's
     * write ends ours.
     */
    private boolean adoptOrGiveUp(int shard) {
        try {
            KeyValueEntry entry = kv.get(key(shard));
            if (entry == null) {
                revisions.put(shard, lastRevision(shard));
                return false;
            }
            if (entry.getValue() != null && writer.equals(JSON.readTree(entry.getValue()).path("writer").asText())) {
                revisions.put(shard, entry.getRevision());
                return false;
            }
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            writeFailures.increment();
            return false;
        }
        revisions.remove(shard);
        LOG.log(System.Logger.Level.WARNING, "shard {0}: another instance wrote the checkpoint; this one stops "
                + "writing it", shard);
        return false;
    }

    /** The revision to write on top of when the key has no value: its delete marker's, or 0 when it is empty. */
    private long lastRevision(int shard) throws IOException, JetStreamApiException {
        try {
            List<KeyValueEntry> history = kv.history(key(shard));
            return history.isEmpty() ? 0L : history.get(history.size() - 1).getRevision();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the checkpoint's history", e);
        }
    }

    /** This process no longer owns the shard: it must not write its checkpoint until it reads it again. */
    public void forget(int shard) {
        revisions.remove(shard);
    }

    private byte[] encode(Checkpoint c) {
        return JSON.createObjectNode()
                .put("session_id", c.session().sessionId())
                .put("resume_gateway_url", c.session().resumeGatewayUrl().toString())
                .put("seq", c.seq())
                .put("bot", bot)
                .put("shard_count", shardCount)
                .put("written_at", clock.millis())
                .put("writer", writer)
                .toString().getBytes(StandardCharsets.UTF_8);
    }

    private String key(int shard) {
        return prefix + "." + shard;
    }

    /** A stable, non-reversible id of the bot's token: enough to tell two bots apart, useless to an attacker. */
    static String botId(BotToken token) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(token.reveal().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
