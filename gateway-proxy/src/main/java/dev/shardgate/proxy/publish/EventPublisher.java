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
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Publishes dispatches to JetStream on {@code {prefix}.events.{shard}.{t}} with the contract's headers and
 * {@code Nats-Msg-Id = {shard}:{session_id}:{seq}}, body = the bytes of {@code d}.
 *
 * <p>A bounded buffer holds every event from the moment a shard hands it over until JetStream acknowledges it.
 * A failed publish is retried (the message id makes a duplicate harmless) until it succeeds, so nothing accepted is
 * lost while the process lives. When the buffer is full, {@link #offer} refuses; the shard then closes resumably
 * and waits for {@link #hasRoom} (half the buffer free), and Discord replays what it missed on resume.
 *
 * <p>Threads: owns {@code shardgate-publisher} (takes events and starts async publishes, at most
 * {@link #MAX_IN_FLIGHT} at once) and {@code shardgate-publish-retry} (puts failed events back after a backoff).
 * {@link #offer} is called from shard threads and never blocks.
 */
public final class EventPublisher implements EventSink, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventPublisher.class.getName());
    static final int MAX_IN_FLIGHT = 1024;
    private static final Duration MAX_RETRY_BACKOFF = Duration.ofSeconds(2);
    private static final Duration LOG_SPACING = Duration.ofSeconds(5);

    private final Connection nats;
    private final JetStream js;
    private final Subjects subjects;
    private final int capacity;
    private final LinkedBlockingDeque<Event> queue = new LinkedBlockingDeque<>();
    private final Set<Event> unacked = ConcurrentHashMap.newKeySet();
    private final AtomicInteger pending = new AtomicInteger();
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final Thread loop;
    private final ScheduledExecutorService retries;
    private final Timer latency;
    private final Counter published;
    private final Counter failures;
    private final Counter refused;
    private final Counter chunks;
    private volatile long retryBackoffMillis = 50;
    private volatile long lastFailureLog;
    private volatile boolean closed;

    private record Event(int shard, String sessionId, long seq, String type, byte[] data) {
    }

    public EventPublisher(Connection nats, Subjects subjects, int capacity, MeterRegistry registry) {
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
        this.retries = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("shardgate-publish-retry").daemon().factory());
        this.loop = Thread.ofPlatform().name("shardgate-publisher").daemon().start(this::run);
    }

    @Override
    public boolean offer(int shard, String sessionId, long seq, String type, byte[] data) {
        if (closed || pending.get() >= capacity) {
            refused.increment();
            return false;
        }
        Event e = new Event(shard, sessionId, seq, type, data);
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
        while (!closed) {
            Event e;
            try {
                e = queue.takeFirst();
                inFlight.acquire();
            } catch (InterruptedException ie) {
                return;
            }
            publish(e);
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
                inFlight.release();
                if (error != null) {
                    failed(e, error);
                } else {
                    retryBackoffMillis = 50;
                    unacked.remove(e);
                    pending.decrementAndGet();
                    published.increment();
                    latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                }
            });
        } catch (RuntimeException ex) {
            inFlight.release();
            failed(e, ex);
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
        long backoff = retryBackoffMillis;
        retryBackoffMillis = Math.min(MAX_RETRY_BACKOFF.toMillis(), backoff * 2);
        if (!closed) {
            retries.schedule(() -> queue.addFirst(e), backoff, TimeUnit.MILLISECONDS);
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
        retries.shutdownNow();
    }

    /** For tests and metrics: unacknowledged events per shard. */
    Map<Integer, Long> unackedByShard() {
        return unacked.stream().collect(java.util.stream.Collectors.groupingBy(Event::shard,
                java.util.stream.Collectors.counting()));
    }
}
