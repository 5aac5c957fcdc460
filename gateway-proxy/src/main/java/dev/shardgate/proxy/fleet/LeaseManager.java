package dev.shardgate.proxy.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.PublishOptions;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * Ownership leases, one per shard, in the KV bucket {@value FleetBuckets#LEASES} under {@code {prefix}.shard.{id}}
 * (value: the owner's instance id and a token unique to this process). A lease is taken with a create (compare-and-
 * set on "absent"), renewed every {@code ttl / 4} with an update on the revision last written, and expires on the
 * NATS server when nobody renews it for the bucket's TTL. A process connects a shard only while it holds its lease.
 *
 * <p>Fencing without clocks: a renewal stored by the server can only extend the lease from the moment it was
 * <em>sent</em>, so this process treats a lease as held until {@code sent + ttl − margin} of its latest
 * acknowledged renewal, measured on its own monotonic clock. When that passes (NATS partition, long pause) the
 * listener hears {@code lost} and the shard disconnects before the server could hand the lease to anyone else;
 * {@link #holds} turns false at that instant even if this thread is late, and the event path checks it.
 *
 * <p>Waiting for a lease costs nearly nothing: a core subscription to the bucket's subjects shows every renewal
 * (the owner is alive: no attempt) and every release (a delete marker: take it now, which makes a SIGTERM hand-over
 * take milliseconds). Only a key not renewed for a whole TTL (a dead owner) is tried again by polling.
 *
 * <p>Threads: owns {@code shardgate-leases}; every decision about a lease is made there. Listener callbacks run on
 * it and must not block. {@link #holds} and {@link #ownerOf} read concurrent maps from any thread.
 */
public final class LeaseManager implements ShardLeases, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LeaseManager.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OPERATION = "KV-Operation";
    private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(2);

    /** Hears of lease changes, on the lease thread. */
    public interface Listener {
        void acquired(int shard);

        void lost(int shard, String why);
    }

    private final Connection nats;
    private final JetStream js;
    private final KeyValue kv;
    private final String subjectPrefix;
    private final String keyPrefix;
    private final String instanceId;
    private final String token = UUID.randomUUID().toString();
    private final byte[] value;
    private final Duration ttl;
    private final long renewEveryNanos;
    private final long holdNanos;
    private final LongSupplier ticker;
    private final Listener listener;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("shardgate-leases").daemon().factory());
    private final Map<Integer, Held> held = new HashMap<>();
    private final ConcurrentHashMap<Integer, Long> deadlines = new ConcurrentHashMap<>();
    /**
     * Other instances' leases as last seen written: a live one is not tried, and a dead owner stops being named once
     * its lease has expired. Written on the lease thread, read by {@link #ownerOf} from any thread.
     */
    private final ConcurrentHashMap<Integer, Seen> foreign = new ConcurrentHashMap<>();
    private final Counter acquisitions;
    private final Counter losses;
    private Set<Integer> wanted = Set.of();
    private Dispatcher watch;
    private boolean unreachableLogged;
    private boolean twinLogged;

    /**
     * A foreign lease seen written at {@code at}; its owner is null when its value is unreadable. The value is kept
     * so that a renewal (the same bytes again) is recognised without parsing it.
     */
    private record Seen(String owner, long at, byte[] value) {
    }

    /** A lease this process holds: the revision to renew from, and the renewal in flight if any. */
    private static final class Held {
        long revision;
        CompletableFuture<PublishAck> renewal;

        Held(long revision) {
            this.revision = revision;
        }
    }

    public LeaseManager(Connection nats, FleetBuckets buckets, String prefix, String instanceId, LongSupplier ticker,
            Listener listener, MeterRegistry registry) throws IOException {
        this.nats = nats;
        this.js = nats.jetStream();
        this.kv = buckets.leases();
        this.subjectPrefix = "$KV." + FleetBuckets.LEASES + ".";
        this.keyPrefix = prefix + ".shard.";
        this.instanceId = instanceId;
        this.value = JSON.createObjectNode().put("owner", instanceId).put("token", token).toString()
                .getBytes(StandardCharsets.UTF_8);
        this.ttl = buckets.leaseTtl();
        this.renewEveryNanos = ttl.toNanos() / 4;
        // Room to notice, close the socket and stop publishing before the server could let anyone else in.
        long margin = Math.max(Duration.ofSeconds(1).toNanos(), ttl.toNanos() / 10);
        this.holdNanos = ttl.toNanos() - margin;
        this.ticker = ticker;
        this.listener = listener;
        this.acquisitions = Counter.builder("shardgate_lease_acquired").description("Shard leases taken")
                .register(registry);
        this.losses = Counter.builder("shardgate_lease_lost")
                .description("Shard leases lost (not renewed in time, or taken by another instance)").register(registry);
        Gauge.builder("shardgate_leases_held", deadlines, Map::size).description("Shard leases this instance holds")
                .register(registry);
    }

    /** Starts taking and renewing the leases of {@code shards}. */
    public void start(Collection<Integer> shards) {
        thread.execute(() -> {
            wanted = Collections.unmodifiableSortedSet(new TreeSet<>(shards)); // taken in shard order
            watch = nats.createDispatcher(msg -> {
                // Most of what the watch sees at rest are this process's own renewals (every lease it holds, every
                // TTL/4): only this process writes these exact bytes, so they are dropped here, without a hop to
                // the lease thread or parsing the value.
                if (!isOwnWrite(msg)) {
                    onQueue(() -> observed(msg));
                }
            });
            watch.subscribe(subjectPrefix + keyPrefix + "*");
            tick();
        });
        thread.scheduleAtFixedRate(this::tick, renewEveryNanos, renewEveryNanos, TimeUnit.NANOSECONDS);
    }

    /** The lease TTL this manager lives by (the bucket's). */
    public Duration ttl() {
        return ttl;
    }

    @Override
    public boolean holds(int shard) {
        Long deadline = deadlines.get(shard);
        return deadline != null && ticker.getAsLong() - deadline < 0;
    }

    @Override
    public Optional<String> ownerOf(int shard) {
        if (deadlines.containsKey(shard)) {
            return Optional.of(instanceId);
        }
        Seen seen = foreign.get(shard);
        return seen != null && seen.owner() != null && ticker.getAsLong() - seen.at() <= ttl.toNanos()
                ? Optional.of(seen.owner()) : Optional.empty();
    }

    /** Stops taking leases (the process is shutting down); held ones are still renewed until released. */
    public void stopAcquiring() {
        call(() -> {
            wanted = Set.of();
            return null;
        });
    }

    /**
     * Gives the shard's lease back at once (after its socket is closed and its checkpoint written), so a waiting
     * instance takes it within milliseconds instead of a TTL.
     */
    public void release(int shard) {
        call(() -> {
            Held h = held.remove(shard);
            deadlines.remove(shard);
            if (h == null) {
                return null;
            }
            if (h.renewal != null) {
                try {
                    h.revision = h.renewal.get(RELEASE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).getSeqno();
                } catch (ExecutionException | TimeoutException e) {
                    // Not renewed: delete on the revision we know; if it moved after all, the lease simply expires.
                }
            }
            try {
                js.publish(NatsMessage.builder().subject(subjectPrefix + keyPrefix + shard)
                        .headers(new Headers().put(OPERATION, "DEL")).data(new byte[0]).build(),
                        PublishOptions.builder().expectedLastSubjectSequence(h.revision).build());
            } catch (IOException | JetStreamApiException e) {
                LOG.log(System.Logger.Level.WARNING, "shard {0}: lease not released ({1}); it expires within {2} s",
                        shard, e.toString(), ttl.toSeconds());
            }
            return null;
        });
    }

    private void tick() {
        long now = ticker.getAsLong();
        for (Map.Entry<Integer, Held> e : Map.copyOf(held).entrySet()) {
            if (e.getValue().renewal == null) {
                renew(e.getKey(), e.getValue());
            }
        }
        for (int shard : wanted) {
            if (held.containsKey(shard)) {
                continue;
            }
            Seen seen = foreign.get(shard);
            if (seen == null || now - seen.at() > ttl.toNanos()) {
                tryAcquire(shard);
            }
        }
    }

    private void tryAcquire(int shard) {
        long sentAt = ticker.getAsLong();
        long revision;
        try {
            revision = kv.create(keyPrefix + shard, value);
        } catch (JetStreamApiException e) {
            if (KvErrors.lostRace(e)) {
                owned(shard);
            } else {
                unreachable(e);
            }
            return;
        } catch (IOException | RuntimeException e) {
            unreachable(e);
            return;
        }
        reachable();
        Held h = new Held(revision);
        held.put(shard, h);
        foreign.remove(shard);
        extend(shard, h, sentAt);
        acquisitions.increment();
        LOG.log(System.Logger.Level.INFO, "shard {0}: lease taken by {1}", shard, instanceId);
        listener.acquired(shard);
    }

    /**
     * The key exists: it is someone's live lease (not tried again for a TTL) and, when readable, names its owner. A
     * take of ours whose ack was lost looks the same and simply expires.
     */
    private void owned(int shard) {
        foreign.put(shard, new Seen(null, ticker.getAsLong(), null));
        try {
            KeyValueEntry entry = kv.get(keyPrefix + shard);
            if (entry != null) {
                foreign.put(shard, new Seen(ownerFrom(entry.getValue()).orElse(null), ticker.getAsLong(),
                        entry.getValue()));
            }
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            unreachable(e);
        }
    }

    private void renew(int shard, Held h) {
        long sentAt = ticker.getAsLong();
        try {
            h.renewal = js.publishAsync(NatsMessage.builder().subject(subjectPrefix + keyPrefix + shard).data(value)
                    .build(), PublishOptions.builder().expectedLastSubjectSequence(h.revision).build());
        } catch (RuntimeException e) {
            unreachable(e);
            return;
        }
        h.renewal.whenComplete((ack, error) -> onQueue(() -> renewed(shard, h, sentAt, ack, error)));
    }

    private void renewed(int shard, Held h, long sentAt, PublishAck ack, Throwable error) {
        h.renewal = null;
        if (held.get(shard) != h) {
            return;
        }
        if (error == null) {
            reachable();
            h.revision = ack.getSeqno();
            extend(shard, h, sentAt);
            return;
        }
        if (!KvErrors.lostRace(error)) {
            unreachable(error);
            return;
        }
        // The key moved: either a renewal of ours was stored without its ack reaching us, or someone else owns it.
        try {
            KeyValueEntry entry = kv.get(keyPrefix + shard);
            if (entry != null && token.equals(tokenOf(entry.getValue()))) {
                h.revision = entry.getRevision();
                return;
            }
            lose(shard, "lease taken over by " + (entry == null ? "nobody (it expired)"
                    : ownerFrom(entry.getValue()).orElse("another instance")));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            unreachable(e);
        }
    }

    /** Holds the lease until {@code sentAt + ttl − margin}, and checks at that moment that it was renewed since. */
    private void extend(int shard, Held h, long sentAt) {
        long deadline = sentAt + holdNanos;
        deadlines.put(shard, deadline);
        thread.schedule(() -> {
            if (held.get(shard) == h && deadlines.getOrDefault(shard, Long.MAX_VALUE) == deadline) {
                lose(shard, "lease not renewed within " + Duration.ofNanos(holdNanos).toMillis()
                        + " ms (NATS unreachable or this process paused); disconnecting before another instance "
                        + "may take the shard");
            }
        }, Math.max(0, deadline - ticker.getAsLong()), TimeUnit.NANOSECONDS);
    }

    private void lose(int shard, String why) {
        held.remove(shard);
        deadlines.remove(shard);
        losses.increment();
        LOG.log(System.Logger.Level.WARNING, "shard {0}: {1}", shard, why);
        listener.lost(shard, why);
    }

    /** A renewal, acquisition or release on the bucket seen by the core subscription. */
    private void observed(Message msg) {
        String subject = msg.getSubject();
        int shard;
        try {
            shard = Integer.parseInt(subject.substring(subject.lastIndexOf('.') + 1));
        } catch (NumberFormatException e) {
            return;
        }
        String op = msg.getHeaders() == null ? null : msg.getHeaders().getFirst(OPERATION);
        if (op != null && (op.equals("DEL") || op.equals("PURGE"))) {
            foreign.remove(shard);
            if (held.containsKey(shard)) {
                // Only its holder releases a lease, and ours are removed from held first: someone else deleted it.
                lose(shard, "lease deleted by someone else (an operator, or a bug elsewhere)");
            }
            if (wanted.contains(shard) && !held.containsKey(shard)) {
                tryAcquire(shard);
            }
            return;
        }
        byte[] data = msg.getData();
        Seen before = foreign.get(shard);
        if (before != null && Arrays.equals(before.value(), data)) {
            foreign.put(shard, new Seen(before.owner(), ticker.getAsLong(), before.value()));
            return;
        }
        if (token.equals(tokenOf(data))) {
            return;
        }
        String owner = ownerFrom(data).orElse(null);
        foreign.put(shard, new Seen(owner, ticker.getAsLong(), data));
        if (instanceId.equals(owner) && !twinLogged) {
            // Still safe (the token decides who holds a lease), but /shards and logs cannot tell them apart.
            twinLogged = true;
            LOG.log(System.Logger.Level.WARNING, "another process also calls itself {0} and holds shard {1}; give "
                    + "every proxy its own INSTANCE_ID (the pod name)", instanceId, shard);
        }
    }

    private boolean isOwnWrite(Message msg) {
        return (msg.getHeaders() == null || msg.getHeaders().getFirst(OPERATION) == null)
                && Arrays.equals(value, msg.getData());
    }

    private static String tokenOf(byte[] data) {
        return field(data, "token").orElse(null);
    }

    private static Optional<String> ownerFrom(byte[] data) {
        return field(data, "owner");
    }

    private static Optional<String> field(byte[] data, String name) {
        if (data == null || data.length == 0) {
            return Optional.empty();
        }
        try {
            JsonNode node = JSON.readTree(data);
            return node != null && node.hasNonNull(name) ? Optional.of(node.get(name).asText()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private void unreachable(Throwable e) {
        if (!unreachableLogged) {
            unreachableLogged = true;
            LOG.log(System.Logger.Level.WARNING, "lease bucket unreachable ({0}); held leases are kept until their "
                    + "deadline, others are tried again every {1} ms", e.toString(),
                    Duration.ofNanos(renewEveryNanos).toMillis());
        }
    }

    private void reachable() {
        if (unreachableLogged) {
            unreachableLogged = false;
            LOG.log(System.Logger.Level.INFO, "lease bucket reachable again");
        }
    }

    private void onQueue(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException closed) {
            // Shutting down: nothing waits for this any more.
        }
    }

    private <T> T call(java.util.concurrent.Callable<T> task) {
        try {
            return thread.submit(task).get(RELEASE_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
            LOG.log(System.Logger.Level.WARNING, "lease operation did not complete: {0}", e.toString());
            return null;
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
        if (watch != null) {
            try {
                nats.closeDispatcher(watch);
            } catch (RuntimeException e) {
                // The connection is already closed.
            }
        }
        deadlines.clear();
    }
}
