package dev.shardgate.proxy.rest.shared;

import dev.shardgate.protocol.Subjects;
import dev.shardgate.proxy.rest.RestConfig;
import dev.shardgate.proxy.rest.limit.Limiter;
import dev.shardgate.proxy.rest.limit.Permit;
import dev.shardgate.proxy.rest.limit.RateLimiter;
import dev.shardgate.proxy.rest.limit.Rejection;
import dev.shardgate.proxy.rest.limit.Ticket;
import dev.shardgate.proxy.rest.route.Route;
import dev.shardgate.proxy.rest.route.TokenId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import io.nats.client.api.KeyValueWatcher;
import io.nats.client.api.StorageType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One view of the limits for several REST proxy replicas, through NATS. One replica holds a lease (a key with a
 * time-to-live in a JetStream key-value bucket) and with it the limits: its {@link Limiter} serves every
 * replica's requests by request-reply ({@link LimiterServer}). A follower asks the leader for each permit and
 * tells it each answer. Every replica registers itself in a members bucket ({@link Membership}); without a
 * reachable leader a replica falls back to its share of every limit, {@code 1 / replicas} (the most registered
 * lately, at least {@code REST_REPLICAS}), after waiting long enough for the leader to have stopped counting it;
 * the leader in turn leaves the share of every replica that does not follow it to that replica. So the replicas
 * together stay under Discord's limits whatever fails, a surge rollout's extra replica included: they only get
 * slower.
 *
 * <p>Fencing: a leader's <em>term</em> is the KV revision at which it created the lease key (its registration in
 * the members bucket names it; the lease's value stays the bare replica id that earlier versions read). Terms only
 * grow: a successor can create the key only after the old one expired, and the old leader's compare-and-set
 * renewals then fail. Every permit carries its leader's term; a follower refuses (gives back unsent, and asks
 * again) a permit whose term is older than the newest it has seen, in a leader's registration or in any reply; a
 * leader stops granting once its lease watch shows another holder or an acquire names a newer term. So a deposed
 * leader that wakes from a pause cannot let anything out in its successor's time.
 *
 * <p>Threads: {@code rest-share} connects, renews or takes the lease and renews this replica's registration every
 * {@value #TICK_MILLIS} ms; {@code rest-share-fence} steps a leader down {@value #STEP_DOWN_MILLIS} ms after the
 * last renewal it sent that was stored, on the monotonic clock, even while {@code rest-share} is stuck waiting on a
 * NATS that does not answer (a partition: each KV call may wait its whole timeout); NATS's dispatcher threads take
 * the lease and members watches and the leader's replies. {@link #close()} stops them.
 */
public final class SharedLimiter implements RateLimiter, AutoCloseable {
    private static final Duration UNLIMITED_WAIT = Duration.ofDays(1);
    private static final System.Logger LOG = System.getLogger(SharedLimiter.class.getName());
    static final long TICK_MILLIS = 500;
    private static final Duration LEASE_TTL = Duration.ofSeconds(3);
    /** A leader that could not renew for this long stops leading, well before the lease expires for others. */
    private static final long STEP_DOWN_MILLIS = 1_500;
    private static final long PRESENCE_TIMEOUT_MILLIS = 2_000;
    private static final long WINDOW_MILLIS = 1_000;
    private static final String LEASE_KEY = "leader";

    private final RestConfig config;
    private final Limiter local;
    private final List<String> natsUrls;
    private final SharedSubjects subjects;
    private final String replica = UUID.randomUUID().toString().substring(0, 8);
    private final Membership membership;
    private final AtomicLong requests = new AtomicLong();
    /**
     * Acquires sent to a leader and not yet answered, with the leader asked: failed at once when the connection
     * drops or another replica takes the lease, so they are asked again instead of waiting out their deadline.
     */
    private final Map<String, Asked> awaitingLeader = new ConcurrentHashMap<>();
    /** The newest leader term this replica has seen, in the lease or in a leader's reply. */
    private final AtomicLong newestTerm = new AtomicLong();
    /** The newest revision of the lease seen (an older read raced a newer one and is ignored). */
    private long newestLeaseRevision;
    /** The lease's revision when this replica last followed it, and when it found that leader unreachable. */
    private long followedRevision;
    private long unreachableAt = -1;
    /** The term of the lease this replica created, while it holds it. */
    private volatile long heldTerm = LimiterServer.NOT_LEADING;
    private final Counter fenced;

    private record Asked(String leader, CompletableFuture<Message> reply) { }
    private final AtomicInteger modeGauge = new AtomicInteger();
    private final MeterRegistry registry;
    private final Thread thread;
    private volatile boolean closed;
    private volatile ShareMode mode = ShareMode.FALLBACK;
    private volatile String leader;
    private volatile Connection connection;
    private KeyValue lease;
    private KeyValue members;
    private LimiterServer server;
    /** When the last renewal that the server stored was sent (monotonic nanos): the lease runs from there. */
    private volatile long renewedAt;
    private final ScheduledExecutorService fence = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("rest-share-fence").factory());

    private SharedLimiter(RestConfig config, Limiter local, List<String> natsUrls, Subjects subjects,
                          MeterRegistry registry) {
        this.config = config;
        this.local = local;
        this.natsUrls = natsUrls;
        this.subjects = SharedSubjects.of(subjects);
        this.registry = registry;
        this.membership = new Membership(config.expectedReplicas());
        Gauge.builder("shardgate.rest.share.replicas", membership, Membership::replicas)
                .description("replicas every limit is split for: the most registered lately, at least REST_REPLICAS")
                .register(registry);
        Gauge.builder("shardgate.rest.share.mode", modeGauge, AtomicInteger::get)
                .description("how this replica shares the limits: 0 fallback (own share), 1 follower, 2 leader")
                .register(registry);
        fenced = Counter.builder("shardgate.rest.share.fenced")
                .description("permits refused because a newer leader term was known (granted by a deposed leader)")
                .register(registry);
        thread = Thread.ofPlatform().daemon().name("rest-share").unstarted(this::run);
    }

    /** Starts in fallback (its own share) and joins the shared limits once NATS answers. */
    public static SharedLimiter start(RestConfig config, Limiter local, List<String> natsUrls, Subjects subjects,
                                      MeterRegistry registry) {
        SharedLimiter s = new SharedLimiter(config, local, natsUrls, subjects, registry);
        s.local.onExhausted(s::tellExhausted);
        s.local.setShare(s.ownShare());
        s.local.takeOver(s.fallbackPauseNanos());
        s.thread.start();
        LOG.log(System.Logger.Level.INFO, "REST replica {0}: sharing limits through NATS with up to {1} replicas",
                s.replica, config.expectedReplicas());
        return s;
    }

    public ShareMode mode() {
        return mode;
    }

    @Override
    public long nanoTime() {
        return local.nanoTime();
    }

    @Override
    public CompletableFuture<Permit> acquire(Ticket ticket) {
        Connection c = connection;
        String l = leader;
        if (ticket.route().interactionCallback()) {
            // Due within 3 s and outside the global limit, in a bucket of its own interaction that no other
            // replica sends to: this replica's limiter paces it (at its share of that bucket), and a slow or
            // frozen leader cannot make it late.
            return local.acquire(ticket);
        }
        if (mode == ShareMode.FOLLOWER) {
            if (c != null && l != null && c.getStatus() == Connection.Status.CONNECTED) {
                return remote(c, l, ticket);
            }
            // Never use the local limiter as a follower: only fallback's pause makes that safe.
            leaderUnreachable("the NATS connection is " + (c == null ? "missing" : c.getStatus()));
        }
        return local.acquire(ticket);
    }

    @SuppressWarnings("FutureReturnValueIgnored") // whenComplete's own futures: the callbacks only pass the outcome on
    private CompletableFuture<Permit> remote(Connection c, String leaderId, Ticket ticket) {
        String rid = replica + "-" + requests.incrementAndGet();
        long now = local.nanoTime();
        // A request without a deadline is sent as one a day away: no client waits that long, and the wire stays
        // a plain number that an older leader reads the same way.
        long deadlineMillis = ticket.deadline() == Ticket.NO_DEADLINE ? UNLIMITED_WAIT.toMillis()
                : Math.min(UNLIMITED_WAIT.toMillis(), Math.max(0, (ticket.deadline() - now) / 1_000_000));
        long notBeforeMillis = ticket.notBefore() > now ? (ticket.notBefore() - now) / 1_000_000 : 0;
        byte[] body = LimiterProtocol.write(LimiterProtocol.Acquire.of(rid, ticket.token().fingerprint(),
                ticket.route(), deadlineMillis, notBeforeMillis, ticket.retry(), newestTerm.get()));
        CompletableFuture<Permit> result = new CompletableFuture<>();
        CompletableFuture<Message> asked = c.requestWithTimeout(subjects.acquire(leaderId), body,
                Duration.ofMillis(deadlineMillis + config.shareTimeout().toMillis()));
        awaitingLeader.put(rid, new Asked(leaderId, asked));
        asked.whenComplete((msg, error) -> {
                    awaitingLeader.remove(rid);
                    if (error != null) {
                        if (result.isCancelled()) {
                            // The client hung up and the leader was told: it drops the request without a word, and
                            // its silence says nothing about the leader.
                            return;
                        }
                        if (leaderId.equals(leader)) {
                            leaderUnreachable("the leader did not answer an acquire ("
                                    + error.getClass().getSimpleName() + ")");
                        }
                        acquire(ticket).whenComplete((p, e) -> settle(result, p, e));
                        return;
                    }
                    onReply(c, leaderId, ticket, msg, result);
                });
        result.whenComplete((p, e) -> {
            if (e instanceof CancellationException) {
                try {
                    c.publish(subjects.cancel(leaderId), LimiterProtocol.write(new LimiterProtocol.Cancel(rid)));
                } catch (RuntimeException ignored) {
                    // The leader's lease on any permit it granted ends it.
                }
                asked.cancel(false);
            }
        });
        return result;
    }

    @SuppressWarnings("FutureReturnValueIgnored") // whenComplete's own futures: the callbacks only settle result
    private void onReply(Connection c, String leaderId, Ticket ticket, Message msg, CompletableFuture<Permit> result) {
        LimiterProtocol.Reply reply;
        try {
            reply = LimiterProtocol.read(msg.getData(), LimiterProtocol.Reply.class);
        } catch (IOException e) {
            result.completeExceptionally(new IllegalStateException("the leader sent an unreadable reply"));
            return;
        }
        long newest = newestTerm.get();
        // A reply without a term (0: KV revisions start at 1) is an older leader's, from before fencing, during a
        // rolling update: taken as before, or every permit of that leader would be refused and asked for again.
        if (reply.permit() != null && reply.term() != 0 && reply.term() < newest) {
            new RemotePermit(c, subjects.end(leaderId), reply.permit(), 0).unsent();
            fenced.increment();
            LOG.log(System.Logger.Level.INFO, "refused a permit of term {0} from replica {1}, term {2} is newer; "
                    + "asking again", reply.term(), leaderId, newest);
            acquire(ticket).whenComplete((p, e) -> settle(result, p, e));
            return;
        }
        noteTerm(reply.term());
        if (reply.notLeader()) {
            if (leaderId.equals(leader)) {
                leaderUnreachable("replica " + leaderId + " is no longer the leader");
            }
            acquire(ticket).whenComplete((p, e) -> settle(result, p, e));
        } else if (reply.permit() != null) {
            settle(result, new RemotePermit(c, subjects.end(leaderId), reply.permit(), reply.waitedNanos()), null);
        } else {
            result.completeExceptionally(new Rejection(Rejection.Reason.valueOf(reply.rejected()), reply.retryAfter()));
        }
    }

    private static void settle(CompletableFuture<Permit> result, Permit permit, Throwable error) {
        if (error != null) {
            result.completeExceptionally(error);
        } else if (!result.complete(permit)) {
            permit.unsent();
        }
    }

    private void run() {
        while (!closed) {
            try {
                tick();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "shared-limits tick failed", e);
            }
            try {
                Thread.sleep(TICK_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void tick() {
        long sent = System.nanoTime();
        if (connection == null && !connect()) {
            return;
        }
        if (connection.getStatus() != Connection.Status.CONNECTED) {
            if (mode == ShareMode.FOLLOWER) {
                transition(ShareMode.FALLBACK, "NATS is unreachable");
            }
            return;
        }
        try {
            KeyValueEntry entry = lease.get(LEASE_KEY);
            String holder = entry == null ? null : text(entry);
            if (holder == null) {
                long term = lease.create(LEASE_KEY, replica.getBytes(StandardCharsets.UTF_8));
                noteTerm(term);
                heldTerm = term;
                abandon(leader, "this replica took the free lease");
                if (renewed(sent)) {
                    transition(ShareMode.LEADER, "took the free lease (term " + term + ")");
                }
            } else if (holder.equals(replica)) {
                lease.update(LEASE_KEY, replica.getBytes(StandardCharsets.UTF_8), entry.getRevision());
                if (renewed(sent)) {
                    transition(ShareMode.LEADER, "renewed the lease (term " + heldTerm + ")");
                }
            } else {
                follow(holder, entry.getRevision());
            }
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            if (mode == ShareMode.FOLLOWER) {
                transition(ShareMode.FALLBACK, "the lease cannot be read or renewed (" + e.getClass().getSimpleName() + ")");
            }
            return;
        }
        try {
            // A leader's registration carries its term, which followers learn from the watch.
            String registration = mode == ShareMode.LEADER ? mode.name() + " " + heldTerm : mode.name();
            members.put(replica, registration.getBytes(StandardCharsets.UTF_8));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not renew this replica''s registration: {0}",
                    e.getClass().getSimpleName());
            return;
        }
        membership.sample(millis());
        synchronized (this) {
            local.setShare(mode == ShareMode.LEADER ? leaderShare() : ownShare());
        }
    }

    private static long millis() {
        return System.nanoTime() / 1_000_000;
    }

    /**
     * The lease, renewed by a write sent at {@code sent}, lives until {@code sent + TTL} at the least; this replica
     * leads until {@code sent + STEP_DOWN}, then steps down unless a later renewal was stored meanwhile. Returns
     * whether that moment is still ahead (a write answered late may have nothing left to lead for).
     */
    @SuppressWarnings("FutureReturnValueIgnored") // a one-shot step-down timer nothing waits for
    private boolean renewed(long sent) {
        renewedAt = sent;
        fence.schedule(() -> {
            if (mode == ShareMode.LEADER && renewedAt == sent) {
                transition(ShareMode.FALLBACK, "the lease was not renewed within " + STEP_DOWN_MILLIS + " ms; "
                        + "stepping down before it can expire for the others");
            }
        }, Math.max(0, sent + STEP_DOWN_MILLIS * 1_000_000 - System.nanoTime()), TimeUnit.NANOSECONDS);
        return System.nanoTime() - sent < STEP_DOWN_MILLIS * 1_000_000;
    }

    /**
     * Another replica holds the lease (read by the tick, or seen by the watch at once): follow it, unless it is
     * older than a term already seen (a read that raced a newer one). A leader that sees it was replaced stops
     * granting at once.
     */
    private synchronized void follow(String holder, long revision) {
        if (revision < newestLeaseRevision) {
            return;
        }
        newestLeaseRevision = revision;
        if (holder.equals(leader) && revision <= unreachableAt) {
            // The leader this replica found unreachable has not renewed since: it is likely dead, and following
            // it again would only fall back again at the next request. Its key expires within the lease's TTL.
            return;
        }
        followedRevision = revision;
        if (!holder.equals(leader)) {
            abandon(leader, "replica " + holder + " took the lease");
        }
        leader = holder;
        transition(ShareMode.FOLLOWER, "replica " + holder + " holds the lease");
    }

    private static String text(KeyValueEntry entry) {
        return new String(entry.getValue(), StandardCharsets.UTF_8);
    }

    private void noteTerm(long term) {
        newestTerm.accumulateAndGet(term, Math::max);
    }

    /** This replica's term while it leads, for the server's fencing. */
    private long leadingTerm() {
        return mode == ShareMode.LEADER ? heldTerm : LimiterServer.NOT_LEADING;
    }

    /** A follower asked with a newer term than this leader's: another replica holds the lease now. */
    private void superseded(long newer) {
        noteTerm(newer);
        synchronized (this) {
            if (mode == ShareMode.LEADER && newer > heldTerm) {
                transition(ShareMode.FALLBACK, "a follower knows a newer lease (term " + newer + " > " + heldTerm
                        + "); granting nothing more");
            }
        }
    }

    /** The leader's part: its own and that of every follower it has heard from long enough; not the others'. */
    private double leaderShare() {
        return Math.min(1.0, (1.0 + membership.settledFollowers(replica, millis())) / membership.replicas());
    }

    private boolean connect() {
        try {
            Options options = Options.builder().servers(natsUrls.toArray(String[]::new))
                    .connectionName("shardgate-rest-" + replica).maxReconnects(-1)
                    .reconnectWait(Duration.ofMillis(250)).connectionTimeout(Duration.ofSeconds(2))
                    .connectionListener((conn, event) -> {
                        if (event == ConnectionListener.Events.DISCONNECTED || event == ConnectionListener.Events.CLOSED) {
                            leaderUnreachable("the NATS connection dropped");
                            abandon(null, "the NATS connection dropped");
                        }
                    }).build();
            Connection c = Nats.connect(options);
            try {
                c.keyValueManagement().create(KeyValueConfiguration.builder().name(subjects.leaseBucket())
                        .ttl(LEASE_TTL).maxHistoryPerKey(1).storageType(StorageType.Memory).build());
                lease = c.keyValue(subjects.leaseBucket());
                lease.watch(LEASE_KEY, new LeaseWatcher());
                c.keyValueManagement().create(KeyValueConfiguration.builder().name(subjects.membersBucket())
                        .ttl(Duration.ofMillis(Membership.ALIVE_MILLIS)).maxHistoryPerKey(1)
                        .storageType(StorageType.Memory).build());
                members = c.keyValue(subjects.membersBucket());
                members.watchAll(new MembersWatcher());
                c.createDispatcher(this::onExhausted).subscribe(subjects.exhausted());
            } catch (IOException | JetStreamApiException e) {
                c.close();
                throw new IOException("the lease bucket cannot be created: " + e.getMessage(), e);
            }
            server = new LimiterServer(c, subjects, replica, local, this::leadingTerm, this::superseded,
                    config.upstreamTimeout().toMillis() + 5_000);
            connection = c;
            LOG.log(System.Logger.Level.INFO, "REST replica {0} connected to NATS", replica);
            return true;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "NATS not reachable yet: {0}", e.getMessage());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Sees a new holder of the lease at once, rather than at the next tick. Runs on a NATS dispatcher thread. */
    private final class LeaseWatcher implements KeyValueWatcher {
        @Override
        public void watch(KeyValueEntry entry) {
            if (entry.getOperation() == KeyValueOperation.PUT) {
                String holder = text(entry);
                if (!holder.equals(replica)) {
                    follow(holder, entry.getRevision());
                }
            }
        }

        @Override
        public void endOfData() {
        }
    }

    /**
     * Tells the other replicas that a bucket is used up (every answer reaches the leader's limiter, so the leader
     * tells them all): one that takes over then sends nothing to it before it is whole again, rather than one
     * request that Discord would refuse. Runs on the limiter thread; publishing does not block.
     */
    private void tellExhausted(TokenId token, Route route, long forNanos) {
        Connection c = connection;
        if (c != null && c.getStatus() == Connection.Status.CONNECTED) {
            try {
                c.publish(subjects.exhausted(), LimiterProtocol.write(LimiterProtocol.Exhausted.of(token.fingerprint(),
                        route, TimeUnit.NANOSECONDS.toMillis(forNanos))));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "could not tell of a used-up bucket: {0}", e.getClass().getSimpleName());
            }
        }
    }

    private void onExhausted(Message msg) {
        try {
            LimiterProtocol.Exhausted e = LimiterProtocol.read(msg.getData(), LimiterProtocol.Exhausted.class);
            local.rememberExhausted(new TokenId(e.token()), e.route(), TimeUnit.MILLISECONDS.toNanos(e.forMillis()));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "dropped a malformed used-up bucket message");
        }
    }

    /** Every replica's registration as it is renewed, with its mode. Runs on a NATS dispatcher thread. */
    private final class MembersWatcher implements KeyValueWatcher {
        @Override
        public void watch(KeyValueEntry entry) {
            if (entry.getOperation() == KeyValueOperation.PUT) {
                String[] registration = text(entry).split(" ", -1);
                membership.seen(entry.getKey(), registration[0].equals(ShareMode.FOLLOWER.name()), millis());
                if (registration[0].equals(ShareMode.LEADER.name()) && registration.length == 2) {
                    try {
                        noteTerm(Long.parseLong(registration[1]));
                    } catch (NumberFormatException e) {
                        LOG.log(System.Logger.Level.DEBUG, "ignored a malformed registration of {0}", entry.getKey());
                    }
                }
            }
        }

        @Override
        public void endOfData() {
        }
    }

    /** Fails the acquires waiting on {@code oldLeader} (all of them if null); each is asked again. */
    private void abandon(String oldLeader, String why) {
        awaitingLeader.values().stream().filter(a -> oldLeader == null || a.leader().equals(oldLeader))
                .forEach(a -> a.reply().completeExceptionally(new IOException(why)));
    }

    private void leaderUnreachable(String why) {
        synchronized (this) {
            if (mode == ShareMode.FOLLOWER) {
                unreachableAt = followedRevision;
                transition(ShareMode.FALLBACK, why);
            }
        }
    }

    /** The one place the mode changes; every change is logged and counted. */
    private synchronized void transition(ShareMode next, String why) {
        if (next == mode) {
            return;
        }
        LOG.log(next == ShareMode.FALLBACK ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
                "REST replica {0}: {1} -> {2} ({3})", replica, mode, next, why);
        Counter.builder("shardgate.rest.share.transitions").tag("from", mode.name()).tag("to", next.name())
                .register(registry).increment();
        ShareMode previous = mode;
        // The limiter is readied before the new mode is published: requests read the mode without this lock and
        // go straight to the local limiter in fallback, so they must find its pause already queued ahead of them.
        switch (next) {
            case LEADER -> {
                local.setShare(leaderShare());
                // What the previous leader let out lately is unknown here (see takeOver, and docs/rest-proxy.md
                // for why one window is enough).
                local.takeOver((WINDOW_MILLIS + config.resetMargin().toMillis()) * 1_000_000);
            }
            case FOLLOWER -> local.setShare(ownShare());
            case FALLBACK -> {
                local.setShare(ownShare());
                if (previous != ShareMode.FALLBACK) {
                    local.takeOver(fallbackPauseNanos());
                }
            }
        }
        mode = next;
        modeGauge.set(next.gaugeValue());
    }

    private double ownShare() {
        return 1.0 / membership.replicas();
    }

    /** Long enough for the leader to stop counting this replica and for what it granted since to age out. */
    private long fallbackPauseNanos() {
        return (PRESENCE_TIMEOUT_MILLIS + TICK_MILLIS + WINDOW_MILLIS + config.resetMargin().toMillis()) * 1_000_000;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        fence.shutdownNow();
        if (server != null) {
            server.close();
        }
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
