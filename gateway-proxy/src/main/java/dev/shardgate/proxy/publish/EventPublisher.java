package dev.shardgate.proxy.publish;

import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.proxy.gateway.EventSink;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.Message;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Publishes dispatches to JetStream on {@code {prefix}.events.{shard}.{t}} with the contract's headers and
 * {@code Nats-Msg-Id = {shard}:{session_id}:{seq}}, body = the bytes of {@code d}.
 *
 * <p>A bounded buffer holds every event from the moment a shard hands it over until JetStream acknowledges it.
 * A failed publish is retried (the message id makes a duplicate harmless) until it succeeds, so nothing accepted is
 * lost while the process lives. When the buffer is full, {@link #offer} refuses; the shard then closes resumably
 * and waits for {@link #hasRoom} (half the buffer free), and Discord replays what it missed on resume.
 *
 * <p>Order: publishes are pipelined (up to {@link #MAX_IN_FLIGHT} awaiting their ack). A failure raises a barrier:
 * nothing new is sent until every publish in flight has settled, then the failed events go out again, in the order
 * they were offered, ahead of everything newer. So a retry never lands after an event offered later than the
 * failed one was sent; only events that were in flight together at the moment of the failure can be stored out
 * of order (consumers that care sort by {@code Discord-Seq}).
 *
 * <p>Threads: owns {@code shardgate-publisher}, which takes events, starts async publishes and, after a failure,
 * waits out the backoff and puts the failed events back. jnats' threads complete the publishes. {@link #offer} is
 * called from shard threads and never blocks.
 */
public final class EventPublisher implements EventSink, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventPublisher.class.getName());
    static final int MAX_IN_FLIGHT = 1024;
    private static final Duration MIN_RETRY_BACKOFF = Duration.ofMillis(50);
    private static final Duration MAX_RETRY_BACKOFF = Duration.ofSeconds(2);
    private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration LOG_SPACING = Duration.ofSeconds(5);

    private final Connection nats;
    private final JetStream js;
    private final Subjects subjects;
    private final int capacity;
    private final LinkedBlockingDeque<Event> queue = new LinkedBlockingDeque<>();
    private final Set<Event> unacked = ConcurrentHashMap.newKeySet();
    private final AtomicInteger pending = new AtomicInteger();
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final AtomicLong offered = new AtomicLong();
    private final Object failedLock = new Object();
    /** Failed events by offer order, waiting for the barrier; guarded by {@code failedLock}. */
    private final TreeMap<Long, Event> failed = new TreeMap<>();
    private final Thread loop;
    private final Timer latency;
    private final Counter published;
    private final Counter failures;
    private final Counter refused;
    private final Counter chunks;
    private final long minRetryBackoffMillis;
    private final long maxRetryBackoffMillis;
    private volatile long retryBackoffMillis;
    private volatile long lastFailureLog;
    private volatile boolean barrier;
    private volatile boolean closed;

    /** @param order when it was offered, across all shards: a shard offers its events in sequence order */
    private record Event(long order, int shard, String sessionId, long seq, String type, byte[] data) {
    }

    /** Queued after a failure so that a loop waiting on an empty queue wakes up and raises the barrier. */
    private static final Event WAKE = new Event(-1, -1, "", -1, "", new byte[0]);

    public EventPublisher(Connection nats, Subjects subjects, int capacity, MeterRegistry registry) {
        this(nats, subjects, capacity, registry, MIN_RETRY_BACKOFF, MAX_RETRY_BACKOFF);
    }

    /** With the retry backoff's bounds: tests pin it to see when the barrier sleeps. */
    EventPublisher(Connection nats, Subjects subjects, int capacity, MeterRegistry registry, Duration minRetryBackoff,
            Duration maxRetryBackoff) {
        this.minRetryBackoffMillis = minRetryBackoff.toMillis();
        this.maxRetryBackoffMillis = maxRetryBackoff.toMillis();
        this.retryBackoffMillis = minRetryBackoffMillis;
        this.nats = nats;
        this.subjects = subjects;
        this.capacity = capacity;
        try {
            this.js = nats.jetStream();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        this.latency = Timer.builder("shardgate_publish_latency").description("Time from publish to JetStream ack")
                .register(registry);
        this.published = Counter.builder("shardgate_published_events").description("Events stored by JetStream")
                .register(registry);
        this.failures = Counter.builder("shardgate_publish_failures").description("Publishes that failed and are retried")
                .register(registry);
        this.refused = Counter.builder("shardgate_publish_refused")
                .description("Dispatches refused because the publish buffer was full (replayed after resume)")
                .register(registry);
        this.chunks = Counter.builder("shardgate_chunks_published")
                .description("GUILD_MEMBERS_CHUNK events also published on {prefix}.chunks.{nonce}").register(registry);
        Gauge.builder("shardgate_publish_buffer", pending, AtomicInteger::get)
                .description("Events received but not yet acknowledged by JetStream").register(registry);
        this.loop = Thread.ofPlatform().name("shardgate-publisher").daemon().start(this::run);
    }

    @Override
    public boolean offer(int shard, String sessionId, long seq, String type, byte[] data) {
        if (closed || pending.get() >= capacity) {
            refused.increment();
            return false;
        }
        Event e = new Event(offered.incrementAndGet(), shard, sessionId, seq, type, data);
        pending.incrementAndGet();
        unacked.add(e);
        queue.addLast(e);
        return true;
    }

    @Override
    public boolean hasRoom() {
        return pending.get() <= capacity / 2;
    }

    @Override
    public void publishChunk(int shard, long seq, String nonce, byte[] data) {
        if (!Subjects.isToken(nonce)) {
            LOG.log(System.Logger.Level.DEBUG, "shard {0}: chunk nonce {1} is not a subject token; not published",
                    shard, nonce);
            return;
        }
        try {
            nats.publish(NatsMessage.builder().subject(subjects.chunks(nonce))
                    .headers(headers(shard, seq, "GUILD_MEMBERS_CHUNK")).data(data).build());
            chunks.increment();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "shard {0}: chunk for nonce {1} not published: {2}", shard, nonce,
                    e.toString());
        }
    }

    /** Events accepted but not yet acknowledged. */
    public int pending() {
        return pending.get();
    }

    /** Waits until every accepted event is acknowledged, up to {@code timeout}; returns whether it got there. */
    public boolean flush(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pending.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return pending.get() == 0;
    }

    /**
     * The highest sequence of a shard's session such that every event up to it is stored: the sequence a resume
     * may safely start from.
     */
    public long safeSeq(int shard, String sessionId, long lastSeq) {
        Optional<Long> oldest = unacked.stream().filter(e -> e.shard == shard && e.sessionId.equals(sessionId))
                .map(Event::seq).min(Long::compare);
        return oldest.map(s -> Math.min(lastSeq, s - 1)).orElse(lastSeq);
    }

    private void run() {
        try {
            while (!closed) {
                if (barrier) {
                    retryFailed();
                    continue;
                }
                Event e = queue.takeFirst();
                if (e == WAKE) {
                    continue;
                }
                inFlight.acquire();
                if (barrier) {
                    // A publish failed while this one waited: it must not overtake the retries.
                    inFlight.release();
                    queue.addFirst(e);
                    continue;
                }
                publish(e);
            }
        } catch (InterruptedException stop) {
            Thread.currentThread().interrupt();
        }
    }

    /** The barrier: lets every publish in flight settle, waits the backoff, and queues the failed ones first. */
    private void retryFailed() throws InterruptedException {
        boolean settled = inFlight.tryAcquire(MAX_IN_FLIGHT, SETTLE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (settled) {
            inFlight.release(MAX_IN_FLIGHT);
        } else {
            LOG.log(System.Logger.Level.WARNING, "publishes still unanswered after {0} s; retrying the failed ones "
                    + "without waiting for them", SETTLE_TIMEOUT.toSeconds());
        }
        long backoff = retryBackoffMillis;
        retryBackoffMillis = Math.min(maxRetryBackoffMillis, backoff * 2);
        Thread.sleep(backoff);
        List<Event> retry;
        synchronized (failedLock) {
            retry = new ArrayList<>(failed.values());
            failed.clear();
            barrier = false;
        }
        for (int i = retry.size() - 1; i >= 0; i--) {
            queue.addFirst(retry.get(i));
        }
    }

    private void publish(Event e) {
        long start = System.nanoTime();
        Message msg = NatsMessage.builder().subject(subjects.event(e.shard, e.type))
                .headers(headers(e.shard, e.seq, e.type)
                        .add(EventHeaders.MSG_ID, EventHeaders.messageId(e.shard, e.sessionId, e.seq)))
                .data(e.data).build();
        try {
            js.publishAsync(msg).whenComplete((ack, error) -> {
                if (error != null) {
                    failed(e, error);
                } else {
                    retryBackoffMillis = minRetryBackoffMillis;
                    unacked.remove(e);
                    pending.decrementAndGet();
                    published.increment();
                    latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                }
                // Released last: once the barrier holds every permit, every failure is in the failed set.
                inFlight.release();
            });
        } catch (RuntimeException ex) {
            failed(e, ex);
            inFlight.release();
        }
    }

    private void failed(Event e, Throwable error) {
        failures.increment();
        long now = System.nanoTime();
        if (now - lastFailureLog > LOG_SPACING.toNanos()) {
            lastFailureLog = now;
            LOG.log(System.Logger.Level.WARNING, "publish to JetStream failed ({0} events buffered, retrying): {1}",
                    pending.get(), error.toString());
        }
        boolean raised;
        synchronized (failedLock) {
            failed.put(e.order, e);
            raised = !barrier;
            barrier = true;
        }
        if (raised) {
            queue.addLast(WAKE);
        }
    }

    private static Headers headers(int shard, long seq, String type) {
        return new Headers()
                .add(EventHeaders.SHARD, Integer.toString(shard))
                .add(EventHeaders.SEQ, Long.toString(seq))
                .add(EventHeaders.EVENT, type);
    }

    /** Stops publishing; call {@link #flush} first to wait for what is buffered. */
    @Override
    public void close() {
        closed = true;
        loop.interrupt();
    }

    /** For tests and metrics: unacknowledged events per shard. */
    Map<Integer, Long> unackedByShard() {
        return unacked.stream().collect(java.util.stream.Collectors.groupingBy(Event::shard,
                java.util.stream.Collectors.counting()));
    }
}
