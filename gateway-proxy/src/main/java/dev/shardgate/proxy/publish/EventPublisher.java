package dev.shardgate.proxy.publish;

import dev.shardgate.config.Backoff;
import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.proxy.gateway.EventSink;
import dev.shardgate.proxy.gateway.EventStages;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntPredicate;

/**
 * Publishes dispatches to JetStream on {@code {prefix}.events.{shard}.{token}} with the contract's headers and
 * {@code Nats-Msg-Id = {shard}:{session_id}:{seq}}, body = the bytes of {@code d}.
 *
 * <p><b>Nothing accepted is lost, nothing stalls the others.</b> A buffer bounded in events and in body bytes holds
 * every event from the moment a shard hands it over until it is settled. When either bound is reached,
 * {@link #offer} refuses; the shard then closes resumably and waits for {@link #hasRoom} (both under half), and
 * Discord replays what it missed on resume. An event is settled when:
 * <ul>
 * <li>JetStream acknowledged it. A transient failure (timeout, no stream yet, lost connection) is retried until it
 * succeeds; the message id makes a duplicate harmless.</li>
 * <li>it was dead-lettered: a failure retrying cannot fix ({@link PublishErrors}) is counted, logged once, and the
 * event goes to {@code {prefix}.deadletter.proxy.{shard}} ({@link ProxyDeadLetters}) off the publishing path, so
 * later events never wait behind it.</li>
 * <li>the fence dropped it: before an event is published, re-published, put in the object store or dead-lettered,
 * {@code mayPublish} is asked about its shard; a shard this instance no longer owns gets its events dropped and
 * counted, never published (the owner publishes them).</li>
 * </ul>
 *
 * <p><b>Large bodies.</b> An event whose body and headers exceed the server's {@code max_payload} (read before every
 * event, as a reconnect may land on another server) has its body put whole in the object store bucket
 * {@code {stream}_LARGE} ({@link LargeBodies}) on a virtual thread of its own, retried like a publish; then the
 * message goes out on its usual subject with its usual headers, {@code Shardgate-Object: <name>} and an empty body.
 *
 * <p><b>Subjects.</b> A {@code t} that is not a plain subject token is published under {@link Subjects#eventToken};
 * {@code Discord-Event} carries {@code t} ({@link EventHeaders#eventValue}).
 *
 * <p><b>Order.</b> Within a shard, events are sent in the order they were offered. A large event takes its place:
 * its shard's later events wait in the buffer until its body is stored and its message sent (other shards go on
 * meanwhile). Publishes are pipelined (up to {@link #MAX_IN_FLIGHT} awaiting their ack, each for at most
 * {@link #ACK_TIMEOUT}). A transient failure raises a barrier: nothing new is sent until every publish in flight has
 * settled, then the failed events go out again, in the order they were offered, ahead of everything newer. So an event offered after a failure was seen is never
 * stored before the failed one; only events in flight together at the moment of a failure can be stored out of
 * order (consumers that care sort by {@code Discord-Seq}). A dead-lettered event is stored out of band.
 *
 * <p><b>Logging.</b> No line per retry: {@link OutageLog} says when publishing starts failing, sums up every 30 s,
 * and says when it recovers. A dead-lettered event is one WARNING.
 *
 * <p><b>Batches, and why.</b> At thousands of events a second, an event's cost was mostly thread wake-ups, not work:
 * a publish woke jnats' writer, and its ack woke jnats' reader and then the dispatcher that completes
 * {@code publishAsync}'s futures. So the loop works in ticks of {@link #TICK}: each tick sends everything queued
 * (jnats' writer wakes once for the lot, and the server answers the lot in one go) and settles every ack that came
 * in, read from this publisher's own reply subscription ({@code <inbox>.<order>}) without a dispatcher thread. An
 * event offered while the loop sleeps wakes it and goes out at once; while events keep coming the loop ticks, and
 * an event waits at most one tick before it is sent. The loop sleeps again after {@link #IDLE_TICKS} empty ticks
 * with nothing in flight.
 *
 * <p><b>Threads.</b> {@code shardgate-publisher}, the loop, does everything that orders events: routes them (fence,
 * hold, put or publish), reads acks, times out publishes, runs the barrier, takes the outcomes of puts; so its state
 * ({@link #queue}'s head, {@link #inFlight}, {@link #failed}, {@link #waiting}) needs no lock. {@link #offer}, called
 * by the shards' threads, only queues, and never blocks; so does {@link #publishChunk}, whose core publish the loop
 * makes. Virtual threads {@code shardgate-large-N} put one body each and hand the outcome back to the loop; virtual
 * threads {@code shardgate-deadletter-N} store one dead letter each.
 */
public final class EventPublisher implements EventSink, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventPublisher.class.getName());
    static final int MAX_IN_FLIGHT = 1024;
    private static final Duration MIN_RETRY_BACKOFF = Duration.ofMillis(50);
    private static final Duration MAX_RETRY_BACKOFF = Duration.ofSeconds(2);
    /** A publish unanswered this long failed (transiently): jnats' own request timeout by default. */
    static final Duration ACK_TIMEOUT = Duration.ofSeconds(5);
    /**
     * The loop's period while events flow: what an event may wait for the next batch, and what an ack may wait to be
     * read. Two milliseconds batch ~10 events at 5,000/s and keep the added latency (a tick's half on average) well
     * under the 3 ms goal at p50. Measured against one millisecond (EventPathBench, alternating runs): 8-12 % less
     * CPU per event, 0.7 ms more at p50, no change at p99.
     */
    static final Duration TICK = Duration.ofMillis(2);
    /** Empty ticks with nothing in flight before the loop sleeps until an offer wakes it. */
    private static final int IDLE_TICKS = 3;
    /** The loop wakes at least this often when idle, to write the outage summary when one is due. */
    private static final Duration IDLE_WAKE = Duration.ofSeconds(1);
    /** NATS's default max_payload, assumed until the connection has told the real one. */
    private static final long DEFAULT_MAX_PAYLOAD = 1024 * 1024;
    /** Far more than a chunk's headers take: a chunk must fit in max_payload with them. */
    private static final int HEADER_ALLOWANCE = 4096;
    /**
     * Member chunks waiting for the loop, in body bytes; past this a chunk is dropped (they are best effort, and the
     * event itself is in the stream). Reached only when NATS takes nothing for a while.
     */
    static final long MAX_QUEUED_CHUNK_BYTES = 8 << 20;

    private final Connection nats;
    private final JetStream js;
    /** Acks of this publisher's publishes, each on {@code <ackPrefix>.<order>}; read by the loop only. */
    private final Subscription acks;
    private final String ackPrefix;
    private final Subjects subjects;
    private final IntPredicate mayPublish;
    private final Clock clock = Clock.systemUTC();
    private final PublishBuffer buffer;
    private final LargeBodies largeBodies;
    private final ProxyDeadLetters deadLetters;
    private final OutageLog outage;
    /** Events waiting for the loop; added at the tail by offers, at the head by the loop when it puts some back. */
    private final ConcurrentLinkedDeque<BufferedEvent> queue = new ConcurrentLinkedDeque<>();
    /** Outcomes of puts, handed from the put threads to the loop. */
    private final ConcurrentLinkedQueue<PutOutcome> putOutcomes = new ConcurrentLinkedQueue<>();
    /**
     * Member chunks for {@code {prefix}.chunks.{nonce}}, handed from the shards' threads to the loop: a core publish
     * may wait for room in jnats' outgoing queue when NATS is slow, and a shard's thread (often {@code gateway-io})
     * must not.
     */
    private final ConcurrentLinkedQueue<Message> chunkQueue = new ConcurrentLinkedQueue<>();
    private final AtomicLong chunkBytes = new AtomicLong();
    /** Shards whose large event is being put, with the events held behind it; loop thread only. */
    private final Map<Integer, Waiting> waiting = new HashMap<>();
    private final Set<Thread> sideThreads = ConcurrentHashMap.newKeySet();
    /** Publishes awaiting their ack, by offer order, oldest first; loop thread only. */
    private final LinkedHashMap<Long, Sent> inFlight = new LinkedHashMap<>();
    /** Failed events by offer order, waiting for the barrier; loop thread only. */
    private final TreeMap<Long, BufferedEvent> failed = new TreeMap<>();
    private final Thread loop;
    private final Timer latency;
    private final Timer buffered;
    private final Counter published;
    private final Counter failures;
    private final Counter refused;
    private final Counter chunks;
    private final Counter chunksDropped;
    private final Counter fenced;
    private final Counter deadLettered;
    private final Counter largeEvents;
    private final Backoff retryBackoff;
    /** Barrier rounds in a row that ended in a failure; loop thread only, like the rest of the barrier's state. */
    private long failedRounds;
    /** When the barrier's backoff ends (monotonic), once everything in flight settled; 0 before that. */
    private long retryAtNanos;
    /** Loop thread only: ticks in a row that found nothing to do. */
    private int idleTicks;
    private volatile long maxPayload = DEFAULT_MAX_PAYLOAD;
    /** Written by the loop; read by the status page. */
    private volatile boolean barrier;
    private volatile boolean closed;
    /** Raised by the loop before it sleeps; the offer that finds it raised lowers it and wakes the loop. */
    private final AtomicBoolean asleep = new AtomicBoolean();

    /** The outage source of every stream publish ({@link OutageLog}); each put is its own source, its event. */
    private static final Object PUBLISHES = "stream publishes";

    /** A publish awaiting its ack since {@code sentAtNanos}. */
    private record Sent(BufferedEvent event, long sentAtNanos) {
    }

    /** A shard whose large event is being put, and its later events held meanwhile. */
    private record Waiting(BufferedEvent large, List<BufferedEvent> held) {
    }

    private enum PutResult { STORED, FENCED, PERMANENT_FAILURE }

    private record PutOutcome(BufferedEvent event, PutResult result, String why) {
    }

    /**
     * @param mayPublish the fence: whether this instance still owns a shard (its lease); asked before anything of
     *     that shard is published
     */
    public EventPublisher(Connection nats, Subjects subjects, PublisherSettings settings, IntPredicate mayPublish,
            MeterRegistry registry) {
        this(nats, subjects, settings, mayPublish, registry, MIN_RETRY_BACKOFF, MAX_RETRY_BACKOFF);
    }

    /** With the retry backoff's bounds: tests pin it to see when the barrier sleeps. */
    EventPublisher(Connection nats, Subjects subjects, PublisherSettings settings, IntPredicate mayPublish,
            MeterRegistry registry, Duration minRetryBackoff, Duration maxRetryBackoff) {
        this.retryBackoff = new Backoff(minRetryBackoff, maxRetryBackoff);
        this.nats = nats;
        this.subjects = subjects;
        this.mayPublish = mayPublish;
        try {
            this.js = nats.jetStream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.buffer = new PublishBuffer(settings.bufferEvents(), settings.bufferBytes());
        this.largeBodies = new LargeBodies(nats, settings.streamName(), settings.maxAge(), settings.replicas());
        this.deadLetters = new ProxyDeadLetters(nats, js, subjects);
        this.ackPrefix = nats.createInbox();
        this.acks = nats.subscribe(ackPrefix + ".*");
        this.outage = new OutageLog(clock, buffer);
        this.latency = EventStages.withPercentiles(Timer.builder("shardgate_publish_latency"))
                .description("Time from publish to JetStream ack").register(registry);
        this.buffered = EventStages.stage(registry, "buffer");
        this.published = Counter.builder("shardgate_published_events").description("Events stored by JetStream")
                .register(registry);
        this.failures = Counter.builder("shardgate_publish_failures")
                .description("Publishes and object puts that failed and are retried").register(registry);
        this.refused = Counter.builder("shardgate_publish_refused")
                .description("Dispatches refused because the publish buffer was full (replayed after resume)")
                .register(registry);
        this.chunks = Counter.builder("shardgate_chunks_published")
                .description("GUILD_MEMBERS_CHUNK events also published on {prefix}.chunks.{nonce}").register(registry);
        this.chunksDropped = Counter.builder("shardgate_chunks_dropped")
                .description("Member chunks not sent on {prefix}.chunks.{nonce} because NATS took none for a while "
                        + "(the events are in the stream)")
                .register(registry);
        this.fenced = Counter.builder("shardgate_publish_fenced")
                .description("Events dropped unpublished because this instance no longer owns their shard")
                .register(registry);
        this.deadLettered = Counter.builder("shardgate_publish_dead_lettered")
                .description("Events the event stream refused for good, sent to {prefix}.deadletter.proxy.{shard}")
                .register(registry);
        this.largeEvents = Counter.builder("shardgate_publish_large_events")
                .description("Events whose body went to the object store because it exceeded max_payload")
                .register(registry);
        Gauge.builder("shardgate_publish_buffer", buffer, PublishBuffer::events)
                .description("Events received but not yet settled").register(registry);
        Gauge.builder("shardgate_publish_buffer_bytes", buffer, PublishBuffer::bytes)
                .description("Body bytes of the events received but not yet settled").register(registry);
        this.loop = Thread.ofPlatform().name("shardgate-publisher").daemon().start(this::run);
    }

    @Override
    public boolean offer(int shard, String sessionId, long seq, String type, byte[] data) {
        BufferedEvent e = closed ? null : buffer.admit(shard, sessionId, seq, type, data, clock.millis());
        if (e == null) {
            refused.increment();
            return false;
        }
        queue.addLast(e);
        wake();
        return true;
    }

    /** Wakes the loop if it sleeps; a tick that is running or due sees the new work anyway. */
    private void wake() {
        if (asleep.get() && asleep.compareAndSet(true, false)) {
            LockSupport.unpark(loop);
        }
    }

    @Override
    public boolean hasRoom() {
        return buffer.hasRoom();
    }

    @Override
    public void publishChunk(int shard, long seq, String nonce, byte[] data) {
        if (!Subjects.isToken(nonce)) {
            LOG.log(System.Logger.Level.DEBUG, "shard {0}: chunk nonce {1} is not a subject token; not published",
                    shard, nonce);
            return;
        }
        if (closed) {
            return;
        }
        if (data.length + HEADER_ALLOWANCE > maxPayload()) {
            LOG.log(System.Logger.Level.WARNING, "shard {0}: chunk for nonce {1} not sent on the chunks subject: its "
                    + "{2} bytes exceed the server''s max_payload ({3}); the event itself is in the stream", shard,
                    nonce, data.length, maxPayload());
            return;
        }
        if (chunkBytes.addAndGet(data.length) > MAX_QUEUED_CHUNK_BYTES) {
            chunkBytes.addAndGet(-data.length);
            chunksDropped.increment();
            LOG.log(System.Logger.Level.DEBUG, "shard {0}: chunk for nonce {1} dropped: {2} bytes of chunks wait for "
                    + "NATS already", shard, nonce, chunkBytes.get());
            return;
        }
        chunkQueue.add(NatsMessage.builder().subject(subjects.chunks(nonce))
                .headers(baseHeaders(shard, seq, "GUILD_MEMBERS_CHUNK")).data(data).build());
        wake();
    }

    /** Sends the member chunks handed over, in order; whether there were any. */
    private boolean sendChunks() {
        boolean sent = false;
        Message chunk;
        while ((chunk = chunkQueue.poll()) != null) {
            sent = true;
            chunkBytes.addAndGet(-chunk.getData().length);
            try {
                nats.publish(chunk);
                chunks.increment();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "chunk on {0} not published: {1}", chunk.getSubject(),
                        e.toString());
            }
        }
        return sent;
    }

    /** Events accepted but not yet settled. */
    public int pending() {
        return buffer.events();
    }

    /** The buffer and its progress now, for the status page; safe from any thread. */
    public PublisherStatus status() {
        long now = clock.millis();
        long oldestAge = buffer.oldestOfferedAtMillis().stream().map(at -> Math.max(0, now - at)).findFirst()
                .orElse(-1);
        return new PublisherStatus(buffer.events(), buffer.bytes(), buffer.maxEvents(), buffer.maxBytes(), oldestAge,
                (long) published.count(), barrier);
    }

    /** Waits until every accepted event is settled, up to {@code timeout}; returns whether it got there. */
    public boolean flush(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (buffer.events() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return buffer.events() == 0;
    }

    /**
     * The highest sequence of a shard's session such that every event of that session up to it which this
     * publisher accepted is settled: the sequence a resume may safely start from. O(log n) in the shard's unsettled
     * events; events refused by {@link #offer} are not counted (the shard does not move its sequence past them).
     *
     * <p>Settled means stored by JetStream, dead-lettered (a replay would fail the same way, so resuming past it
     * loses nothing more), or dropped by the fence. The last counts as settled because the shard then belongs to
     * another instance, whose own stored sequence governs its resume. Call this only while the shard's fence
     * ({@code mayPublish}) holds for this instance, as the gateway does: otherwise the answer may lie past events
     * that this instance dropped and nobody stored.
     */
    public long safeSeq(int shard, String sessionId, long lastSeq) {
        return buffer.safeSeq(shard, sessionId, lastSeq);
    }

    private void run() {
        while (!closed) {
            // all three run on every pass, busy or not
            boolean busy = takeAcks();
            busy |= expireAcks();
            busy |= takePutOutcomes();
            busy |= sendChunks();
            if (outage.failing()) {
                outage.tick();
            }
            if (barrier) {
                barrierStep();
                continue;
            }
            busy |= routeQueued();
            if (busy || !inFlight.isEmpty()) {
                idleTicks = 0;
                LockSupport.parkNanos(TICK.toNanos());
            } else if (++idleTicks < IDLE_TICKS) {
                LockSupport.parkNanos(TICK.toNanos());
            } else {
                sleep();
            }
        }
        try {
            acks.unsubscribe();
        } catch (IllegalStateException connectionClosed) {
            // nothing left to unsubscribe from
        }
    }

    /**
     * Sleeps until an offer, a failure or a finished put wakes the loop, or {@link #IDLE_WAKE} passes. The flag is
     * raised before the last look, so an offer either is seen here or sees the flag and wakes the loop.
     */
    private void sleep() {
        asleep.set(true);
        if (queue.isEmpty() && putOutcomes.isEmpty() && chunkQueue.isEmpty()) {
            LockSupport.parkNanos(IDLE_WAKE.toNanos());
        }
        asleep.set(false);
        idleTicks = 0;
    }

    /** Routes what is queued, in order, while no barrier is up and publish slots are free; whether it routed any. */
    private boolean routeQueued() {
        boolean routed = false;
        BufferedEvent e;
        while (!barrier && inFlight.size() < MAX_IN_FLIGHT && (e = queue.pollFirst()) != null) {
            routed = true;
            try {
                route(e);
            } catch (RuntimeException unexpected) {
                // e.g. the fence threw: the event is retried after the backoff, not lost, and the loop goes on
                retryLater(e, unexpected);
            }
        }
        return routed;
    }

    /** What happens to one event: dropped, held, put, or published. */
    private void route(BufferedEvent e) {
        Headers headers = headersToPublish(e);
        if (headers != null) {
            publish(e, headers);
        }
    }

    /** The headers to publish {@code e} with now, or null when it was fenced, dead-lettered, held or put instead. */
    private Headers headersToPublish(BufferedEvent e) {
        if (!mayPublish.test(e.shard)) {
            fence(e);
            return null;
        }
        Headers headers;
        try {
            headers = headers(e);
        } catch (IllegalArgumentException invalid) {
            deadLetter(e, "the NATS client refused its headers: " + invalid.getMessage());
            return null;
        }
        boolean needsPut = e.objectName() == null && tooLarge(e, headers);
        Waiting w = waiting.get(e.shard);
        if (w != null && (e.order > w.large().order || needsPut)) {
            // Behind its shard's large event; or a second large one (max_payload shrank on a reconnect) of a
            // shard that has a put running: one put per shard at a time, it follows in order when that one is done.
            w.held().add(e);
            return null;
        }
        if (needsPut) {
            startPut(e);
            return null;
        }
        return headers;
    }

    /**
     * The barrier, one tick of it: reads acks until nothing is in flight (each publish is answered or times out
     * within {@link #ACK_TIMEOUT}), waits out the backoff, then queues the failed events first, in offer order.
     */
    private void barrierStep() {
        if (!inFlight.isEmpty()) {
            LockSupport.parkNanos(TICK.toNanos());
            return;
        }
        long now = System.nanoTime();
        if (retryAtNanos == 0) {
            retryAtNanos = now + retryBackoff.delay(++failedRounds).toNanos();
        }
        if (now - retryAtNanos < 0) {
            LockSupport.parkNanos(retryAtNanos - now); // puts finishing meanwhile wake the loop
            return;
        }
        retryAtNanos = 0;
        queueFirst(new ArrayList<>(failed.values()));
        failed.clear();
        barrier = false;
    }

    /** Puts events at the head of the queue in the order given. */
    private void queueFirst(List<BufferedEvent> events) {
        for (int i = events.size() - 1; i >= 0; i--) {
            queue.addFirst(events.get(i));
        }
    }

    private boolean tooLarge(BufferedEvent e, Headers headers) {
        return e.data.length + headers.serializedLength() > maxPayload();
    }

    /** The connected server's max_payload, or the last one known while disconnected. */
    private long maxPayload() {
        long current = nats.getMaxPayload();
        if (current > 0) {
            maxPayload = current;
        }
        return maxPayload;
    }

    /** Sends {@code e} with its reply subject and counts it in flight; a refusal by the client fails it at once. */
    private void publish(BufferedEvent e, Headers headers) {
        long start = System.nanoTime();
        buffered.record(start - e.offeredAtNanos, TimeUnit.NANOSECONDS);
        try {
            nats.publish(NatsMessage.builder().subject(subjects.event(e.shard, e.type))
                    .replyTo(ackPrefix + "." + e.order).headers(headers)
                    .data(e.objectName() == null ? e.data : new byte[0]).build());
            inFlight.put(e.order, new Sent(e, start));
        } catch (RuntimeException ex) {
            failed(e, ex);
        }
    }

    /** Settles every publish whose answer has arrived; whether there was any. */
    private boolean takeAcks() {
        boolean took = false;
        Message reply;
        while (acks.getPendingMessageCount() > 0 && (reply = nextAck()) != null) {
            took = true;
            Sent sent = inFlight.remove(orderOf(reply.getSubject()));
            if (sent == null) {
                continue; // the answer to a publish that timed out (and was sent again) or failed already
            }
            try {
                if (reply.isStatusMessage()) {
                    throw new IOException("Error Publishing: " + reply.getStatus().getMessageWithCode());
                }
                if (mentionsError(reply.getData())) {
                    new PublishAck(reply); // throws the error JetStream answered instead of an ack
                }
                stored(sent);
            } catch (IOException | JetStreamApiException | RuntimeException error) {
                failed(sent.event(), error);
            }
        }
        return took;
    }

    private static final byte[] ERROR_KEY = "\"error\"".getBytes(StandardCharsets.US_ASCII);

    /**
     * Whether an answer's JSON has an {@code "error"} key: an ack ({@code {"stream":..,"seq":..}}) never does, so
     * only a refusal pays for a full parse. A false alarm (an ack naming a stream "error") is parsed and passes.
     */
    private static boolean mentionsError(byte[] json) {
        if (json == null) {
            return false;
        }
        for (int i = 0; i + ERROR_KEY.length <= json.length; i++) {
            if (Arrays.equals(json, i, i + ERROR_KEY.length, ERROR_KEY, 0, ERROR_KEY.length)) {
                return true;
            }
        }
        return false;
    }

    /** The next answer already received, or null; none once the connection is closed for good. */
    private Message nextAck() {
        try {
            return acks.nextMessage(Duration.ofNanos(1));
        } catch (InterruptedException stop) {
            Thread.currentThread().interrupt();
            return null;
        } catch (IllegalStateException closedConnection) {
            return null;
        }
    }

    /** The order in a reply subject {@code <ackPrefix>.<order>}; -1 (no publish) for anything else. */
    private long orderOf(String replySubject) {
        int dot = replySubject.lastIndexOf('.');
        try {
            return Long.parseLong(replySubject, dot + 1, replySubject.length(), 10);
        } catch (NumberFormatException notOurs) {
            return -1;
        }
    }

    /** Fails (transiently) every publish unanswered for {@link #ACK_TIMEOUT}; whether there was any. */
    private boolean expireAcks() {
        long now = System.nanoTime();
        boolean expired = false;
        Iterator<Sent> oldestFirst = inFlight.values().iterator();
        while (oldestFirst.hasNext()) {
            Sent sent = oldestFirst.next();
            if (now - sent.sentAtNanos() < ACK_TIMEOUT.toNanos()) {
                break;
            }
            oldestFirst.remove();
            expired = true;
            failed(sent.event(), new TimeoutException("no ack from JetStream within " + ACK_TIMEOUT.toSeconds()
                    + " s"));
        }
        return expired;
    }

    private void stored(Sent sent) {
        failedRounds = 0;
        buffer.settle(sent.event());
        published.increment();
        latency.record(System.nanoTime() - sent.sentAtNanos(), TimeUnit.NANOSECONDS);
        if (outage.failing() && !barrier) {
            // Under a barrier, a success is a late ack of a publish sent before the outage, not a recovery.
            outage.succeeded(PUBLISHES);
        }
    }

    private void failed(BufferedEvent e, Throwable error) {
        String permanent = PublishErrors.permanent(error);
        if (permanent != null) {
            deadLetter(e, permanent);
        } else {
            retryLater(e, error);
        }
    }

    /** A transient failure: the event waits for the barrier's retry, ahead of everything newer. */
    private void retryLater(BufferedEvent e, Throwable error) {
        failures.increment();
        outage.failed(PUBLISHES, error);
        failed.put(e.order, e);
        barrier = true;
    }

    private void fence(BufferedEvent e) {
        buffer.settle(e);
        fenced.increment();
        LOG.log(System.Logger.Level.DEBUG, "{0}: dropped, this instance no longer owns the shard", e);
    }

    /** Takes the shard of {@code e} off the publishing path until its body is in the object store. */
    private void startPut(BufferedEvent e) {
        waiting.put(e.shard, new Waiting(e, new ArrayList<>()));
        startSideThread("shardgate-large-" + e.shard, () -> {
            PutOutcome outcome = putBody(e);
            if (outcome != null) {
                putOutcomes.add(outcome);
                LockSupport.unpark(loop);
            }
        });
    }

    /**
     * On a put thread: stores the body, retrying transient failures like a publish, until done or hopeless; null
     * when the publisher closed first.
     */
    private PutOutcome putBody(BufferedEvent e) {
        long attempts = 0;
        try {
            while (!closed) {
                if (!mayPublish.test(e.shard)) {
                    return new PutOutcome(e, PutResult.FENCED, null);
                }
                try {
                    largeBodies.put(e.messageId(), e.data, maxPayload());
                    return new PutOutcome(e, PutResult.STORED, null);
                } catch (IOException | JetStreamApiException | RuntimeException ex) {
                    String permanent = PublishErrors.permanent(ex);
                    if (permanent != null) {
                        return new PutOutcome(e, PutResult.PERMANENT_FAILURE,
                                "its body could not be put in the object store: " + permanent);
                    }
                    failures.increment();
                    outage.failed(e, ex);
                }
                Thread.sleep(retryBackoff.delay(++attempts)); // retry pacing, as the barrier's
            }
        } catch (InterruptedException stop) {
            Thread.currentThread().interrupt();
        } finally {
            // stored, dropped, dead-lettered or closed: this put is no longer part of an outage
            outage.succeeded(e);
        }
        return null;
    }

    /**
     * A finished put sends its event next, then lets the shard's held events follow in order; whether any put had
     * finished.
     */
    private boolean takePutOutcomes() {
        boolean took = false;
        PutOutcome outcome;
        while ((outcome = putOutcomes.poll()) != null) {
            took = true;
            BufferedEvent e = outcome.event();
            List<BufferedEvent> next = new ArrayList<>(waiting.remove(e.shard).held());
            switch (outcome.result()) {
                case STORED -> {
                    largeEvents.increment();
                    e.bodyStoredAs(e.messageId());
                    next.add(e);
                }
                case FENCED -> fence(e);
                case PERMANENT_FAILURE -> deadLetter(e, outcome.why());
            }
            next.sort(Comparator.comparingLong(ev -> ev.order));
            queueFirst(next);
        }
        return took;
    }

    /**
     * Counts a permanent failure, says so once, and stores the dead letter off the publishing path; the event stays
     * in the buffer (so {@link #safeSeq} stays below it) until the dead letter is stored or given up.
     */
    private void deadLetter(BufferedEvent e, String why) {
        deadLettered.increment();
        LOG.log(System.Logger.Level.WARNING, "{0}: cannot be stored in the event stream, dead-lettering it on {1} and "
                + "going on without it: {2}", e, subjects.proxyDeadLetter(e.shard), why);
        startSideThread("shardgate-deadletter-" + e.shard, () -> storeDeadLetter(e, why));
    }

    /** On a dead-letter thread: retries transient failures with backoff; gives up on a permanent one. */
    private void storeDeadLetter(BufferedEvent e, String why) {
        long attempts = 0;
        boolean warned = false;
        try {
            while (!closed) {
                if (!mayPublish.test(e.shard)) {
                    fence(e);
                    return;
                }
                try {
                    deadLetters.publish(e, headers(e), why, maxPayload());
                    buffer.settle(e);
                    return;
                } catch (IOException | JetStreamApiException | RuntimeException ex) {
                    String permanent = PublishErrors.permanent(ex);
                    if (permanent != null) {
                        LOG.log(System.Logger.Level.ERROR, "{0}: the dead letter could not be stored either ({1}); "
                                + "the event is given up", e, permanent);
                        buffer.settle(e);
                        return;
                    }
                    if (!warned) {
                        warned = true;
                        LOG.log(System.Logger.Level.WARNING, "{0}: dead letter not stored yet ({1}); retrying",
                                e, PublishErrors.describe(ex));
                    }
                }
                Thread.sleep(retryBackoff.delay(++attempts)); // retry pacing
            }
        } catch (InterruptedException stop) {
            Thread.currentThread().interrupt();
        }
    }

    private void startSideThread(String name, Runnable work) {
        Thread t = Thread.ofVirtual().name(name).unstarted(() -> {
            try {
                work.run();
            } finally {
                sideThreads.remove(Thread.currentThread());
            }
        });
        sideThreads.add(t);
        t.start();
    }

    /** The event's headers: the contract's, plus {@code Shardgate-Object} once its body is in the object store. */
    private static Headers headers(BufferedEvent e) {
        Headers h = baseHeaders(e.shard, e.seq, e.type).add(EventHeaders.MSG_ID, e.messageId());
        if (e.objectName() != null) {
            h.add(EventHeaders.OBJECT, e.objectName());
        }
        return h;
    }

    private static Headers baseHeaders(int shard, long seq, String type) {
        return new Headers()
                .add(EventHeaders.SHARD, Integer.toString(shard))
                .add(EventHeaders.SEQ, Long.toString(seq))
                .add(EventHeaders.EVENT, EventHeaders.eventValue(type));
    }

    /** Stops publishing; call {@link #flush} first to wait for what is buffered. */
    @Override
    public void close() {
        closed = true;
        loop.interrupt();
        sideThreads.forEach(Thread::interrupt);
    }
}
