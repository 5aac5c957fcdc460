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
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
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
 * Shard ownership: one liveness lease per process and one claim per shard. The lease is a key
 * {@code {prefix}.instance.{token}} in {@value FleetBuckets#LEASES} (the token is random per process and per
 * <em>epoch</em>), created once and renewed every {@code ttl / 4} with a compare-and-set on its revision; the server
 * drops it when nobody renews it for the bucket's TTL. A claim is a key {@code {prefix}.shard.{id}} in
 * {@value FleetBuckets#CLAIMS} naming the owner's instance id and token, written once when the shard is taken and
 * deleted when it is given back. A process holds a shard while its claim names this process's current token and its
 * lease is alive; it connects a shard only while it holds it.
 *
 * <p>Why one lease per process rather than one per shard: renewing a thousand per-shard leases every {@code ttl / 4}
 * was a third of an idle proxy's CPU (400 JetStream writes and acks a second, and every other instance's watch
 * hearing them); one renewal per process costs the same guarantees nothing per shard.
 *
 * <p>Taking a shard: a <em>create</em> of its claim (compare-and-set on "absent"), or, when the claim names a token
 * whose lease is gone, an <em>update</em> on the claim's revision, so that of several instances only one wins. A
 * token's lease once gone never comes back (its renewals are updates on a revision that no longer exists, and a
 * new epoch takes a new token), so "the owner's lease is absent" is a fact, not a guess, and a claim that names a
 * live lease cannot be taken.
 *
 * <p>Fencing without clocks: a renewal stored by the server can only extend the lease from the moment it was
 * <em>sent</em>, so this process treats its lease as alive until {@code sent + ttl − margin} of its latest
 * acknowledged renewal, on its own monotonic clock. When that passes (NATS partition, long pause) every shard is
 * lost at once and disconnects before the server could drop the lease and let anyone take a claim; {@link #holds}
 * turns false at that instant even if this thread is late, and the event path checks it. If the lease turns out to
 * be gone, the process starts a new epoch (a new token) and takes its shards again like anyone else.
 *
 * <p>Waiting costs nearly nothing: a core subscription to the leases shows every instance's renewal (alive) and
 * deletion, and one to the claims shows every take and release (a delete: take it now, which makes a SIGTERM
 * hand-over take milliseconds). A claim whose owner's lease has not been seen renewed for a TTL is checked with one
 * read of that lease and taken if it is gone. Claims are read again after a reconnect or dropped messages, and every
 * {@link #REVERIFY_EVERY_TTLS} TTLs, in case a release went unheard.
 *
 * <p>Threads: owns {@code shardgate-leases}; every decision about leases and claims is made there. Listener
 * callbacks run on it and must not block. {@link #holds} and {@link #ownerOf} read concurrent state from any thread.
 */
public final class LeaseManager implements ShardLeases, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LeaseManager.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String OPERATION = "KV-Operation";
    private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(2);
    private static final int REVERIFY_EVERY_TTLS = 6;

    /** Hears of shards taken and lost, on the lease thread. */
    public interface Listener {
        void acquired(int shard);

        void lost(int shard, String why);
    }

    private final Connection nats;
    private final JetStream js;
    private final KeyValue leaseKv;
    private final KeyValue claimKv;
    private final String leaseSubjectPrefix;
    private final String claimSubjectPrefix;
    private final String instanceKeyPrefix;
    private final String claimKeyPrefix;
    private final String instanceId;
    private final Duration ttl;
    private final long renewEveryNanos;
    private final long holdNanos;
    private final LongSupplier ticker;
    private final Listener listener;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("shardgate-leases").daemon().factory());
    /** Claims this process holds, with the revision each was written at (to release on). */
    private final Map<Integer, Long> held = new HashMap<>();
    /** The shards of {@link #held}, for readers on other threads. */
    private final Set<Integer> heldView = ConcurrentHashMap.newKeySet();
    /** Other processes' claims as last read or heard; written on the lease thread, read by {@link #ownerOf}. */
    private final ConcurrentHashMap<Integer, Claim> foreign = new ConcurrentHashMap<>();
    /** When each other process's lease was last known to be alive (its token → monotonic nanos). */
    private final ConcurrentHashMap<String, Long> aliveAt = new ConcurrentHashMap<>();
    /** Tokens whose lease is known gone: their claims may be taken. */
    private final Set<String> gone = new HashSet<>();
    private final Counter acquisitions;
    private final Counter losses;
    private Set<Integer> wanted = Set.of();
    private Dispatcher watch;
    private Epoch epoch;
    /** The current epoch's fence: its lease is alive until then (monotonic nanos); any thread reads it. */
    private volatile long leaseDeadline;
    private volatile boolean leaseValid;
    private long lastReverify;
    private long reconnectsSeen;
    private long droppedSeen;
    private boolean unreachableLogged;
    private boolean twinLogged;

    /** Someone's claim: its owner's instance id and token (null when the value is unreadable). */
    private record Claim(String owner, String token) {
    }

    /** This process's lease in one epoch: its token, the bytes it writes, its revision and renewal in flight. */
    private static final class Epoch {
        final String token = UUID.randomUUID().toString();
        final byte[] value;
        long revision;
        boolean created;
        CompletableFuture<PublishAck> renewal;

        Epoch(String instanceId) {
            this.value = JSON.createObjectNode().put("owner", instanceId).put("token", token).toString()
                    .getBytes(StandardCharsets.UTF_8);
        }
    }

    public LeaseManager(Connection nats, FleetBuckets buckets, String prefix, String instanceId, LongSupplier ticker,
            Listener listener, MeterRegistry registry) throws IOException {
        this.nats = nats;
        this.js = nats.jetStream();
        this.leaseKv = buckets.leases();
        this.claimKv = buckets.claims();
        this.leaseSubjectPrefix = "$KV." + FleetBuckets.LEASES + ".";
        this.claimSubjectPrefix = "$KV." + FleetBuckets.CLAIMS + ".";
        this.instanceKeyPrefix = prefix + ".instance.";
        this.claimKeyPrefix = prefix + ".shard.";
        this.instanceId = instanceId;
        this.ttl = buckets.leaseTtl();
        this.renewEveryNanos = ttl.toNanos() / 4;
        // Room to notice, close the sockets and stop publishing before the server could drop the lease.
        long margin = Math.max(Duration.ofSeconds(1).toNanos(), ttl.toNanos() / 10);
        this.holdNanos = ttl.toNanos() - margin;
        this.ticker = ticker;
        this.listener = listener;
        this.epoch = new Epoch(instanceId);
        this.acquisitions = Counter.builder("shardgate_lease_acquired").description("Shards taken")
                .register(registry);
        this.losses = Counter.builder("shardgate_lease_lost")
                .description("Shards lost (this process's lease not renewed in time, or the claim taken or deleted)")
                .register(registry);
        Gauge.builder("shardgate_leases_held", heldView, Set::size).description("Shards this instance holds")
                .register(registry);
    }

    /** Starts the lease and takes the claims of {@code shards}. */
    @SuppressWarnings("FutureReturnValueIgnored") // tick() catches the failures of its NATS calls; close() ends it
    public void start(Collection<Integer> shards) {
        thread.execute(() -> {
            wanted = Collections.unmodifiableSortedSet(new TreeSet<>(shards)); // taken in shard order
            reconnectsSeen = nats.getStatistics().getReconnects();
            lastReverify = ticker.getAsLong();
            watch = nats.createDispatcher(msg -> onQueue(() -> observed(msg)));
            watch.subscribe(leaseSubjectPrefix + instanceKeyPrefix + "*");
            watch.subscribe(claimSubjectPrefix + claimKeyPrefix + "*");
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
        return heldView.contains(shard) && leaseAlive();
    }

    @Override
    public Optional<String> ownerOf(int shard) {
        if (heldView.contains(shard)) {
            return Optional.of(instanceId);
        }
        Claim claim = foreign.get(shard);
        if (claim == null || claim.owner() == null || claim.token() == null) {
            return Optional.empty();
        }
        Long at = aliveAt.get(claim.token());
        return at != null && ticker.getAsLong() - at <= ttl.toNanos() ? Optional.of(claim.owner()) : Optional.empty();
    }

    /** Stops taking shards (the process is shutting down); the lease is still renewed until {@link #close}. */
    public void stopAcquiring() {
        call(() -> {
            wanted = Set.of();
            return null;
        });
    }

    /**
     * Gives the shard back at once (after its socket is closed and its checkpoint written), so a waiting instance
     * takes it within milliseconds instead of a TTL.
     */
    public void release(int shard) {
        call(() -> {
            Long revision = held.remove(shard);
            heldView.remove(shard);
            if (revision == null) {
                return null;
            }
            try {
                js.publish(NatsMessage.builder().subject(claimSubjectPrefix + claimKeyPrefix + shard)
                        .headers(new Headers().put(OPERATION, "DEL")).data(new byte[0]).build(),
                        PublishOptions.builder().expectedLastSubjectSequence(revision).build());
            } catch (IOException | JetStreamApiException e) {
                LOG.log(System.Logger.Level.WARNING, "shard {0}: claim not released ({1}); it can be taken once this "
                        + "process's lease expires, within {2} s", shard, e.toString(), ttl.toSeconds());
            }
            return null;
        });
    }

    private boolean leaseAlive() {
        return leaseValid && ticker.getAsLong() - leaseDeadline < 0;
    }

    private void tick() {
        if (!epoch.created) {
            createLease();
        } else if (epoch.renewal == null) {
            renewLease();
        }
        if (!leaseAlive()) {
            return;
        }
        Staleness staleness = staleness();
        if (staleness == Staleness.MISSED) {
            verifyHeld();
        }
        boolean reverify = staleness != Staleness.FRESH;
        Map<String, Boolean> checked = new HashMap<>();
        for (int shard : wanted) {
            if (held.containsKey(shard)) {
                continue;
            }
            Claim claim = foreign.get(shard);
            if (reverify || claim == null || !ownerAlive(claim, checked)) {
                tryAcquire(shard);
            }
        }
    }

    /** How far what the watch told may be behind the buckets. */
    private enum Staleness {
        FRESH,
        /** Every few TTLs: a release may have gone unheard. */
        PERIODIC,
        /** A reconnect or dropped messages: anything may have gone unheard, a deletion of our own claims too. */
        MISSED
    }

    private Staleness staleness() {
        long now = ticker.getAsLong();
        long reconnects = nats.getStatistics().getReconnects();
        long dropped = watch == null ? 0 : watch.getDroppedCount();
        Staleness staleness = reconnects != reconnectsSeen || dropped != droppedSeen ? Staleness.MISSED
                : now - lastReverify > REVERIFY_EVERY_TTLS * ttl.toNanos() ? Staleness.PERIODIC : Staleness.FRESH;
        if (staleness != Staleness.FRESH) {
            reconnectsSeen = reconnects;
            droppedSeen = dropped;
            lastReverify = now;
        }
        return staleness;
    }

    /** Reads every held claim back: one deleted or taken while the watch was deaf is let go. */
    private void verifyHeld() {
        for (int shard : Set.copyOf(held.keySet())) {
            if (!verifyClaim(shard)) {
                return;
            }
        }
    }

    /**
     * Whether the claim's owner is alive: its lease seen renewed within a TTL, or, when not, read from the bucket
     * (once per token per tick). An unreadable claim has no owner to ask about and counts as dead.
     */
    private boolean ownerAlive(Claim claim, Map<String, Boolean> checked) {
        String token = claim.token();
        if (token == null || token.equals(epoch.token) || gone.contains(token)) {
            return token != null && token.equals(epoch.token);
        }
        Long at = aliveAt.get(token);
        long now = ticker.getAsLong();
        if (at != null && now - at <= ttl.toNanos()) {
            return true;
        }
        return checked.computeIfAbsent(token, t -> {
            try {
                if (leaseKv.get(instanceKeyPrefix + t) != null) {
                    // Alive now; look again in a renewal period unless the watch hears it renewed before.
                    aliveAt.put(t, now - ttl.toNanos() + renewEveryNanos);
                    return true;
                }
                gone.add(t);
                aliveAt.remove(t);
                return false;
            } catch (IOException | JetStreamApiException | RuntimeException e) {
                unreachable(e);
                return true;
            }
        });
    }

    private void createLease() {
        long sentAt = ticker.getAsLong();
        try {
            epoch.revision = leaseKv.create(instanceKeyPrefix + epoch.token, epoch.value);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            unreachable(e);
            return;
        }
        reachable();
        epoch.created = true;
        extendLease(epoch, sentAt);
        LOG.log(System.Logger.Level.INFO, "lease of {0} created (token {1})", instanceId, epoch.token);
    }

    @SuppressWarnings("FutureReturnValueIgnored") // whenComplete's own future: the outcome goes to renewed() on the queue
    private void renewLease() {
        Epoch e = epoch;
        long sentAt = ticker.getAsLong();
        try {
            e.renewal = js.publishAsync(NatsMessage.builder().subject(leaseSubjectPrefix + instanceKeyPrefix + e.token)
                    .data(e.value).build(), PublishOptions.builder().expectedLastSubjectSequence(e.revision).build());
        } catch (RuntimeException error) {
            unreachable(error);
            return;
        }
        e.renewal.whenComplete((ack, error) -> onQueue(() -> renewed(e, sentAt, ack, error)));
    }

    private void renewed(Epoch e, long sentAt, PublishAck ack, Throwable error) {
        e.renewal = null;
        if (e != epoch) {
            return;
        }
        if (error == null) {
            reachable();
            e.revision = ack.getSeqno();
            extendLease(e, sentAt);
            return;
        }
        if (!KvErrors.lostRace(error)) {
            unreachable(error);
            return;
        }
        // The key moved: a renewal of ours was stored without its ack reaching us, or the lease is gone.
        try {
            KeyValueEntry entry = leaseKv.get(instanceKeyPrefix + e.token);
            if (entry != null) {
                e.revision = entry.getRevision();
                return;
            }
        } catch (IOException | JetStreamApiException | RuntimeException failure) {
            unreachable(failure);
            return;
        }
        newEpoch("this process's lease expired on the server (NATS unreachable or this process paused for over "
                + ttl.toMillis() + " ms)");
    }

    /** The lease is gone for good: every shard is lost, and they are taken again under a new token. */
    private void newEpoch(String why) {
        loseAll(why + "; taking the shards again under a new lease");
        gone.add(epoch.token);
        epoch = new Epoch(instanceId);
        leaseValid = false;
    }

    /** Alive until {@code sentAt + ttl − margin}; checks at that moment that the lease was renewed since. */
    @SuppressWarnings("FutureReturnValueIgnored") // a one-shot deadline timer nothing waits for; close() ends it
    private void extendLease(Epoch e, long sentAt) {
        long deadline = sentAt + holdNanos;
        leaseDeadline = deadline;
        leaseValid = true;
        thread.schedule(() -> {
            if (epoch == e && leaseDeadline == deadline && !held.isEmpty()) {
                loseAll("lease not renewed within " + Duration.ofNanos(holdNanos).toMillis()
                        + " ms (NATS unreachable or this process paused); disconnecting before another instance "
                        + "may take the shards");
            }
        }, Math.max(0, deadline - ticker.getAsLong()), TimeUnit.NANOSECONDS);
    }

    private void tryAcquire(int shard) {
        String key = claimKeyPrefix + shard;
        long revision;
        try {
            revision = claimKv.create(key, epoch.value);
        } catch (JetStreamApiException e) {
            if (KvErrors.lostRace(e)) {
                takeOrRespect(shard);
            } else {
                unreachable(e);
            }
            return;
        } catch (IOException | RuntimeException e) {
            unreachable(e);
            return;
        }
        reachable();
        taken(shard, revision);
    }

    /** The claim exists: ours (a create whose ack was lost), a dead owner's (take it on its revision), or live. */
    private void takeOrRespect(int shard) {
        String key = claimKeyPrefix + shard;
        try {
            KeyValueEntry entry = claimKv.get(key);
            if (entry == null) {
                return; // released in between: the watch hears of it, or the next tick creates it
            }
            Claim claim = claimIn(entry.getValue());
            if (epoch.token.equals(claim.token())) {
                taken(shard, entry.getRevision());
                return;
            }
            foreign.put(shard, claim);
            if (instanceId.equals(claim.owner()) && !twinLogged) {
                // Still safe (the token decides who holds a shard), but /shards and logs cannot tell them apart.
                twinLogged = true;
                LOG.log(System.Logger.Level.WARNING, "another process also calls itself {0} and holds shard {1}; "
                        + "give every proxy its own INSTANCE_ID (the pod name)", instanceId, shard);
            }
            if (ownerAlive(claim, new HashMap<>())) {
                return;
            }
            long revision;
            try {
                revision = claimKv.update(key, epoch.value, entry.getRevision());
            } catch (JetStreamApiException e) {
                if (!KvErrors.lostRace(e)) {
                    throw e;
                }
                return; // another instance took it first: the watch names it
            }
            LOG.log(System.Logger.Level.INFO, "shard {0}: claim of {1} taken over (its lease is gone)", shard,
                    claim.owner() == null ? "an unreadable value" : claim.owner());
            taken(shard, revision);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            unreachable(e);
        }
    }

    private void taken(int shard, long revision) {
        held.put(shard, revision);
        heldView.add(shard);
        foreign.remove(shard);
        acquisitions.increment();
        LOG.log(System.Logger.Level.INFO, "shard {0}: taken by {1}", shard, instanceId);
        listener.acquired(shard);
    }

    private void loseAll(String why) {
        for (int shard : Set.copyOf(held.keySet())) {
            lose(shard, why);
        }
    }

    private void lose(int shard, String why) {
        held.remove(shard);
        heldView.remove(shard);
        losses.increment();
        LOG.log(System.Logger.Level.WARNING, "shard {0}: {1}", shard, why);
        listener.lost(shard, why);
    }

    /**
     * A lease renewal or deletion, or a claim taken or released, seen by the core subscriptions. A core subscriber
     * hears every write <em>attempted</em>, also a compare-and-set the server refused, so what it hears is a hint:
     * it may wake a waiter or delay a take-over, and anything that takes or drops a shard reads the bucket first.
     */
    private void observed(Message msg) {
        String subject = msg.getSubject();
        String op = msg.getHeaders() == null ? null : msg.getHeaders().getFirst(OPERATION);
        boolean deleted = op != null && (op.equals("DEL") || op.equals("PURGE"));
        String last = subject.substring(subject.lastIndexOf('.') + 1);
        if (subject.startsWith(leaseSubjectPrefix)) {
            if (!last.equals(epoch.token)) {
                if (deleted) {
                    aliveAt.remove(last); // the next look at its claims reads its lease
                } else {
                    aliveAt.put(last, ticker.getAsLong());
                }
            } else if (deleted && leaseGone()) {
                newEpoch("this process's lease was deleted by someone else (an operator, or a bug elsewhere)");
            }
            return;
        }
        int shard;
        try {
            shard = Integer.parseInt(last);
        } catch (NumberFormatException e) {
            return;
        }
        if (!deleted && epoch.token.equals(claimIn(msg.getData()).token())) {
            return;
        }
        if (held.containsKey(shard)) {
            verifyClaim(shard);
            return;
        }
        foreign.remove(shard); // read again before it decides anything
        if (deleted && wanted.contains(shard) && leaseAlive()) {
            tryAcquire(shard);
        }
    }

    /** Whether this epoch's lease is absent from the bucket (false when the bucket cannot be read). */
    private boolean leaseGone() {
        try {
            return leaseKv.get(instanceKeyPrefix + epoch.token) == null;
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            unreachable(e);
            return false;
        }
    }

    /**
     * Reads a held claim back and lets the shard go if the claim no longer names this process. Returns false when
     * the bucket could not be read.
     */
    private boolean verifyClaim(int shard) {
        try {
            KeyValueEntry entry = claimKv.get(claimKeyPrefix + shard);
            Claim claim = entry == null ? new Claim(null, null) : claimIn(entry.getValue());
            if (!epoch.token.equals(claim.token())) {
                lose(shard, entry == null ? "claim deleted by someone else (an operator, or a bug elsewhere)"
                        : "claim taken over by " + (claim.owner() == null ? "another instance" : claim.owner()));
            }
            return true;
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            unreachable(e);
            return false;
        }
    }

    private static Claim claimIn(byte[] data) {
        if (data == null || data.length == 0) {
            return new Claim(null, null);
        }
        try {
            JsonNode node = JSON.readTree(data);
            if (node == null) {
                return new Claim(null, null);
            }
            return new Claim(node.hasNonNull("owner") ? node.get("owner").asText() : null,
                    node.hasNonNull("token") ? node.get("token").asText() : null);
        } catch (IOException e) {
            return new Claim(null, null);
        }
    }

    private void unreachable(Throwable e) {
        if (!unreachableLogged) {
            unreachableLogged = true;
            LOG.log(System.Logger.Level.WARNING, "lease buckets unreachable ({0}); held shards are kept until the "
                    + "lease's deadline, others are tried again every {1} ms", e.toString(),
                    Duration.ofNanos(renewEveryNanos).toMillis());
        }
    }

    private void reachable() {
        if (unreachableLogged) {
            unreachableLogged = false;
            LOG.log(System.Logger.Level.INFO, "lease buckets reachable again");
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
        leaseValid = false;
        heldView.clear();
    }
}
