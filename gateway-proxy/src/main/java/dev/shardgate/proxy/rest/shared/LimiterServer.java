package dev.shardgate.proxy.rest.shared;

import dev.shardgate.proxy.rest.limit.Limiter;
import dev.shardgate.proxy.rest.limit.Permit;
import dev.shardgate.proxy.rest.limit.Rejection;
import dev.shardgate.proxy.rest.limit.Ticket;
import dev.shardgate.proxy.rest.route.TokenId;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * Serves this replica's {@link Limiter} to followers over NATS: {@code acquire} (request-reply, answered when the
 * permit is granted or refused), {@code end} and {@code cancel}. A permit whose follower never ends it (the
 * follower died) is ended as lost after its lease, so its slot is not held for ever.
 *
 * <p>Fencing: every grant carries this leader's term (the KV revision at which it took the lease). An acquire from
 * a follower that knows a newer term is refused and reported as {@code superseded}, and a permit granted after the
 * term ended (the limiter answered late) is given back unsent and refused: a deposed leader grants nothing.
 *
 * <p>Threads: the NATS dispatcher's thread decodes and hands over; replies are sent from the limiter's
 * completions; one daemon thread, {@code rest-share-leases}, expires leases.
 */
final class LimiterServer implements AutoCloseable {
    static final long NOT_LEADING = -1;
    private static final System.Logger LOG = System.getLogger(LimiterServer.class.getName());
    private final Connection connection;
    private final Limiter limiter;
    /** This replica's term while it leads, else {@link #NOT_LEADING}. */
    private final LongSupplier term;
    private final LongConsumer superseded;
    private final long leaseMillis;
    private final Dispatcher dispatcher;
    private final Map<String, CompletableFuture<Permit>> waiting = new ConcurrentHashMap<>();
    private final Map<String, Lease> granted = new ConcurrentHashMap<>();
    private final ScheduledExecutorService leases = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("rest-share-leases").unstarted(r));

    private record Lease(Permit permit, ScheduledFuture<?> expiry) { }

    LimiterServer(Connection connection, SharedSubjects subjects, String replica, Limiter limiter,
                  LongSupplier term, LongConsumer superseded, long leaseMillis) {
        this.connection = connection;
        this.limiter = limiter;
        this.term = term;
        this.superseded = superseded;
        this.leaseMillis = leaseMillis;
        dispatcher = connection.createDispatcher();
        dispatcher.subscribe(subjects.acquire(replica), this::onAcquire);
        dispatcher.subscribe(subjects.end(replica), this::onEnd);
        dispatcher.subscribe(subjects.cancel(replica), this::onCancel);
    }

    @SuppressWarnings("FutureReturnValueIgnored") // whenComplete's own future: the callback only publishes the reply
    private void onAcquire(Message msg) {
        LimiterProtocol.Acquire a;
        try {
            a = LimiterProtocol.read(msg.getData(), LimiterProtocol.Acquire.class);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "dropped a malformed acquire: {0}", e.getClass().getSimpleName());
            return;
        }
        long own = term.getAsLong();
        if (own == NOT_LEADING || a.term() > own) {
            if (own != NOT_LEADING) {
                superseded.accept(a.term());
            }
            connection.publish(msg.getReplyTo(), LimiterProtocol.write(LimiterProtocol.Reply.notLeader(own)));
            return;
        }
        long now = limiter.nanoTime();
        Ticket ticket = new Ticket(new TokenId(a.token()), a.route(),
                Ticket.deadlineAfter(now, TimeUnit.MILLISECONDS.toNanos(Math.max(0, a.deadlineMillis()))),
                a.notBeforeMillis() > 0 ? now + a.notBeforeMillis() * 1_000_000 : 0, a.retry());
        CompletableFuture<Permit> pending = limiter.acquire(ticket);
        waiting.put(a.rid(), pending);
        pending.whenComplete((permit, error) -> {
            waiting.remove(a.rid());
            LimiterProtocol.Reply reply;
            if (permit != null && term.getAsLong() != own) {
                // The term ended while the request waited: its successor does not count this grant.
                permit.unsent();
                reply = LimiterProtocol.Reply.notLeader(own);
            } else if (permit != null) {
                ScheduledFuture<?> expiry = leases.schedule(() -> expire(a.rid()), leaseMillis, TimeUnit.MILLISECONDS);
                granted.put(a.rid(), new Lease(permit, expiry));
                reply = new LimiterProtocol.Reply(a.rid(), permit.waitedNanos(), null, 0, false, own);
            } else if (error instanceof Rejection r) {
                reply = new LimiterProtocol.Reply(null, 0, r.reason().name(), r.retryAfterSeconds(), false, own);
            } else {
                return;
            }
            connection.publish(msg.getReplyTo(), LimiterProtocol.write(reply));
        });
    }

    private void onEnd(Message msg) {
        try {
            LimiterProtocol.End end = LimiterProtocol.read(msg.getData(), LimiterProtocol.End.class);
            Lease lease = granted.remove(end.permit());
            if (lease == null) {
                return;
            }
            lease.expiry.cancel(false);
            switch (end.end()) {
                case "answered" -> lease.permit.complete(end.answer());
                case "unsent" -> lease.permit.unsent();
                default -> lease.permit.lost();
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "dropped a malformed end: {0}", e.getClass().getSimpleName());
        }
    }

    private void onCancel(Message msg) {
        try {
            LimiterProtocol.Cancel c = LimiterProtocol.read(msg.getData(), LimiterProtocol.Cancel.class);
            CompletableFuture<Permit> pending = waiting.remove(c.rid());
            if (pending != null) {
                pending.cancel(false);
            }
            Lease lease = granted.remove(c.rid());
            if (lease != null) {
                lease.expiry.cancel(false);
                lease.permit.unsent();
            }
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "dropped a malformed cancel: {0}", e.getClass().getSimpleName());
        }
    }

    private void expire(String rid) {
        Lease lease = granted.remove(rid);
        if (lease != null) {
            LOG.log(System.Logger.Level.WARNING, "a follower never ended permit {0}; holding its slot as lost", rid);
            lease.permit.lost();
        }
    }

    @Override
    public void close() {
        try {
            connection.closeDispatcher(dispatcher);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "closing the limiter dispatcher failed", e);
        }
        leases.shutdownNow();
    }
}
