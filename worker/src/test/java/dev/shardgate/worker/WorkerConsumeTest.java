package dev.shardgate.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.protocol.Snowflake;
import dev.shardgate.testkit.NatsServerProcess;
import dev.shardgate.worker.consume.DeadLetters;
import io.micrometer.core.instrument.Counter;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.ConsumerInfo;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The library against a real nats-server, fed contract-shaped events by the test. */
@Tag("process")
class WorkerConsumeTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    private NatsServerProcess nats;
    private EventStream stream;
    private final List<Worker> workers = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        nats = NatsServerProcess.start();
        stream = new EventStream(nats.url(), "discord");
    }

    @AfterEach
    void tearDown() throws Exception {
        workers.forEach(Worker::drain);
        stream.close();
        nats.close();
    }

    private Worker start(Map<String, String> extra, Consumer<Worker.Builder> handlers, Clock clock) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("NATS_URL", nats.url(), "WORKER_METRICS_PORT", "0",
                "WORKER_RETRY_BACKOFF", "100ms", "WORKER_MAX_DELIVERIES", "3", "WORKER_DRAIN_TIMEOUT", "10s"));
        env.putAll(extra);
        Worker.Builder builder = Worker.builder(WorkerConfig.from(env)).clock(clock);
        handlers.accept(builder);
        Worker worker = builder.build();
        workers.add(worker);
        worker.start();
        return worker;
    }

    private static double count(Worker worker, String type, String outcome) {
        Counter c = worker.registry().find("shardgate.worker.events").tags("type", type, "outcome", outcome).counter();
        return c == null ? 0 : c.count();
    }

    private ConsumerInfo consumer() throws Exception {
        return stream.connection().jetStreamManagement().getConsumerInfo("DISCORD_EVENTS", "workers");
    }

    @Test
    void routesEventsByTypeWithShardSeqAndBodyAndAcksThem() throws Exception {
        stream.create();
        Map<String, Event> seen = new ConcurrentHashMap<>();
        Worker worker = start(Map.of(), b -> b
                .on("MESSAGE_CREATE", e -> seen.put(e.json().path("content").asText(), e))
                .on("INTERACTION_CREATE", e -> seen.put("interaction", e)), Clock.systemUTC());
        stream.publish(3, 17, "MESSAGE_CREATE", EventStream.message("hello"));
        stream.publish(1, 5, "INTERACTION_CREATE", interaction(Instant.now()));
        stream.publish(2, 8, "TYPING_START", "{}");

        await().atMost(WAIT).until(() -> seen.size() == 2 && count(worker, "TYPING_START", "unrouted") == 1);
        Event message = seen.get("hello");
        assertEquals("MESSAGE_CREATE", message.type());
        assertEquals(3, message.shard());
        assertEquals(17, message.seq());
        assertEquals(EventStream.message("hello"), message.text());
        assertEquals(1, message.deliveries());
        assertEquals(1, seen.get("interaction").shard());
        await().atMost(WAIT).until(() -> consumer().getNumAckPending() == 0 && consumer().getNumPending() == 0);
        // The outcome is counted just after the ack is sent, so the server may have the ack first.
        await().atMost(WAIT).until(() -> count(worker, "MESSAGE_CREATE", "handled") == 1);
    }

    @Test
    void poisonEventIsRetriedWithBackoffThenDeadLetteredWithItsError() throws Exception {
        stream.create();
        AtomicInteger attempts = new AtomicInteger();
        Worker worker = start(Map.of(), b -> b.on("MESSAGE_CREATE", e -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("poison pill");
        }), Clock.systemUTC());
        stream.publish(4, 99, "MESSAGE_CREATE", EventStream.message("poison"));

        Message dead = nextDeadLetter();
        assertEquals(3, attempts.get(), "WORKER_MAX_DELIVERIES deliveries, then no more");
        assertEquals("discord.deadletter.4.MESSAGE_CREATE", dead.getSubject());
        assertEquals(EventStream.message("poison"), new String(dead.getData(), StandardCharsets.UTF_8));
        assertTrue(dead.getHeaders().getFirst(DeadLetters.ERROR).contains("IllegalStateException: poison pill"),
                dead.getHeaders().getFirst(DeadLetters.ERROR));
        assertEquals("3", dead.getHeaders().getFirst(DeadLetters.DELIVERIES));
        assertEquals("99", dead.getHeaders().getFirst("Discord-Seq"));
        await().atMost(WAIT).until(() -> consumer().getNumAckPending() == 0);
        // Outcomes are counted just after the nak or ack is sent, so the server may be ahead of the counters.
        await().atMost(WAIT).until(() -> count(worker, "MESSAGE_CREATE", "failed") == 2
                && count(worker, "MESSAGE_CREATE", "dead_lettered") == 1);
        assertEquals(2, worker.registry().find("shardgate.worker.redeliveries").counter().count());
    }

    @Test
    void bodyThatIsNotJsonIsDeadLetteredAtOnceAndTheWorkerKeepsServing() throws Exception {
        stream.create();
        Set<String> handled = ConcurrentHashMap.newKeySet();
        Worker worker = start(Map.of(), b -> b.on("MESSAGE_CREATE", e -> handled.add(e.json().path("content").asText())),
                Clock.systemUTC());
        stream.publish(0, 1, "MESSAGE_CREATE", "{not json");
        stream.publish(0, 2, "MESSAGE_CREATE", EventStream.message("after"));

        Message dead = nextDeadLetter();
        assertTrue(dead.getHeaders().getFirst(DeadLetters.ERROR).contains("is not the expected JSON"));
        assertEquals("1", dead.getHeaders().getFirst(DeadLetters.DELIVERIES));
        await().atMost(WAIT).until(() -> handled.contains("after"));
        assertEquals(0, count(worker, "MESSAGE_CREATE", "failed"));
    }

    @Test
    void eventsOlderThanTheirTypesLimitAreSkippedAndCounted() throws Exception {
        stream.create();
        Set<String> handled = ConcurrentHashMap.newKeySet();
        // the worker's clock runs 10 s ahead: every event looks 10 s old
        Worker worker = start(Map.of("WORKER_MAX_AGE_MESSAGE_CREATE", "1m"), b -> b
                .on("INTERACTION_CREATE", e -> handled.add("interaction"))
                .on("MESSAGE_CREATE", e -> handled.add("message")),
                Clock.offset(Clock.systemUTC(), Duration.ofSeconds(10)));
        stream.publish(0, 1, "INTERACTION_CREATE", "{\"id\":\"1\",\"type\":2}");
        stream.publish(0, 2, "MESSAGE_CREATE", EventStream.message("x"));

        await().atMost(WAIT).until(() -> handled.contains("message")
                && count(worker, "INTERACTION_CREATE", "skipped_too_old") == 1);
        assertEquals(Set.of("message"), handled);
        await().atMost(WAIT).until(() -> consumer().getNumAckPending() == 0);
    }

    @Test
    void handlersInFlightNeverExceedTheLimit() throws Exception {
        stream.create();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        start(Map.of("WORKER_MAX_IN_FLIGHT", "4"), b -> b.on("MESSAGE_CREATE", e -> {
            peak.accumulateAndGet(running.incrementAndGet(), Math::max);
            release.await();
            running.decrementAndGet();
            done.incrementAndGet();
        }), Clock.systemUTC());
        for (int i = 0; i < 20; i++) {
            stream.publish(i % 3, i, "MESSAGE_CREATE", EventStream.message("m" + i));
        }
        await().atMost(WAIT).until(() -> running.get() == 4);
        // the other 16 wait in the stream: a fetch asks only for free slots, so nothing sits unhandled in a buffer
        Worker worker = workers.get(0);
        for (int i = 0; i < 3; i++) {
            // a fetch for a freed slot would show here; none can be sent while every slot is busy
            assertEquals(4, consumer().getNumAckPending(), "this replica holds exactly its in-flight limit");
            assertEquals(16, consumer().getNumPending());
        }
        assertEquals(4, worker.registry().get("shardgate.worker.in.flight").gauge().value());
        assertEquals(0, worker.registry().get("shardgate.worker.fetch.requested").gauge().value());
        assertEquals(4, worker.registry().get("shardgate.worker.in.flight.limit").gauge().value());
        release.countDown();
        await().atMost(WAIT).until(() -> done.get() == 20);
        assertEquals(4, peak.get());
    }

    /** Starts a worker on a virtual thread, since start() waits for NATS and the stream. */
    private Thread startInBackground(Set<String> handled) {
        return Thread.ofVirtual().start(() -> {
            try {
                start(Map.of(), b -> b.on("MESSAGE_CREATE", e -> handled.add(e.json().path("content").asText())),
                        Clock.systemUTC());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void startsBeforeTheStreamExistsAndConsumesOnceItDoes() throws Exception {
        Set<String> handled = ConcurrentHashMap.newKeySet();
        Thread starter = startInBackground(handled);
        await().atMost(WAIT).until(() -> !workers.isEmpty() && workers.get(0).state() == WorkerState.WAITING_FOR_STREAM);
        stream.create();
        stream.publish(0, 1, "MESSAGE_CREATE", EventStream.message("late"));
        starter.join(WAIT.toMillis());
        await().atMost(WAIT).until(() -> handled.contains("late"));
        assertEquals(WorkerState.RUNNING, workers.get(0).state());
    }

    @Test
    void startsWhileNatsIsDownAndConnectsWhenItComes() throws Exception {
        nats.stop();
        Set<String> handled = ConcurrentHashMap.newKeySet();
        Thread starter = startInBackground(handled);
        await().atMost(WAIT).until(() -> !workers.isEmpty() && workers.get(0).state() == WorkerState.WAITING_FOR_STREAM);
        nats.restart();
        await().atMost(WAIT).ignoreExceptions().until(() -> {
            stream.create();
            return true;
        });
        stream.publish(0, 1, "MESSAGE_CREATE", EventStream.message("first"));
        await().atMost(Duration.ofSeconds(60)).until(() -> handled.contains("first"));
        starter.join(WAIT.toMillis());
    }

    @Test
    void survivesNatsGoingAwayAndHandlesWhatComesAfter() throws Exception {
        stream.create();
        Set<String> handled = ConcurrentHashMap.newKeySet();
        start(Map.of(), b -> b.on("MESSAGE_CREATE", e -> handled.add(e.json().path("content").asText())),
                Clock.systemUTC());
        stream.publish(0, 1, "MESSAGE_CREATE", EventStream.message("before"));
        await().atMost(WAIT).until(() -> handled.contains("before"));

        nats.stop();
        nats.restart();
        await().atMost(WAIT).ignoreExceptions().until(() -> {
            stream.publish(0, 2, "MESSAGE_CREATE", EventStream.message("after"));
            return true;
        });
        await().atMost(Duration.ofSeconds(60)).until(() -> handled.contains("after"));
    }

    @Test
    void drainFinishesTheEventInFlightAndAcksIt() throws Exception {
        stream.create();
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        Worker worker = start(Map.of(), b -> b.on("MESSAGE_CREATE", e -> {
            started.countDown();
            Thread.sleep(500); // a handler that takes a while: the drain must wait for it
            finished.incrementAndGet();
        }), Clock.systemUTC());
        stream.publish(0, 1, "MESSAGE_CREATE", EventStream.message("slow"));
        assertTrue(started.await(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS));

        assertTrue(worker.drain());
        assertEquals(1, finished.get());
        assertEquals(WorkerState.STOPPED, worker.state());
        // The drain flushed the ack to the server, which applies it to the consumer asynchronously. The worker is
        // stopped, so nothing else can ack the event: an ack the drain lost would stay pending.
        await().atMost(WAIT).until(() -> consumer().getNumAckPending() == 0);
        ConsumerInfo info = consumer();
        assertEquals(0, info.getNumPending());
        assertEquals(1, info.getAckFloor().getStreamSequence());
    }

    @Test
    void aRestProxyAwayIsRetriedInPlaceWithoutSpendingDeliveriesWhileA403IsDeadLetteredAtOnce() throws Exception {
        stream.create();
        try (FakeRestProxy proxy = new FakeRestProxy()) {
            Map<String, Integer> deliveries = new ConcurrentHashMap<>();
            Worker worker = start(Map.of("REST_PROXY_URL", proxy.url(), "WORKER_MAX_DELIVERIES", "2"), b -> b.on("MESSAGE_CREATE", e -> {
                String content = e.json().path("content").asText();
                deliveries.merge(content, (int) e.deliveries(), Math::max);
                b.rest().createMessage(content.equals("forbidden") ? "403" : "42", content);
            }), Clock.systemUTC());
            // more transient failures than WORKER_MAX_DELIVERIES: none of them may spend a delivery
            proxy.answerNext(4, 503);
            stream.publish(0, 1, "MESSAGE_CREATE", EventStream.message("outage"));
            await().atMost(WAIT).until(() -> count(worker, "MESSAGE_CREATE", "handled") == 1);
            assertEquals(5, proxy.requests().size(), "4 answered 503, the fifth went through");
            assertEquals(1, deliveries.get("outage"), "retried in place: the server delivered it once");
            assertEquals(4, worker.registry().get("shardgate.worker.transient.retries").counter().count());
            assertEquals(0, worker.registry().get("shardgate.worker.pulls.paused").gauge().value(), "resumed");

            proxy.answer(403, "{\"code\":50013,\"message\":\"Missing Permissions\"}");
            stream.publish(0, 2, "MESSAGE_CREATE", EventStream.message("forbidden"));
            Message dead = nextDeadLetter();
            assertTrue(dead.getHeaders().getFirst(DeadLetters.ERROR).contains("Missing Permissions"),
                    dead.getHeaders().getFirst(DeadLetters.ERROR));
            assertEquals("1", dead.getHeaders().getFirst(DeadLetters.DELIVERIES), "dead-lettered at the first failure");
            assertEquals(6, proxy.requests().size(), "a 403 is never repeated");
            assertEquals(0, count(worker, "MESSAGE_CREATE", "failed"));
        }
    }

    @Test
    void aHandlerThatBlocksIsReportedSlowKeepsItsEventAndTheOthersAreServed() throws Exception {
        stream.create();
        CountDownLatch release = new CountDownLatch(1);
        Set<String> handled = ConcurrentHashMap.newKeySet();
        AtomicInteger stuckRuns = new AtomicInteger();
        Worker worker = start(Map.of("WORKER_SLOW_HANDLER", "1s", "WORKER_ACK_WAIT", "2s"), b -> b.on("MESSAGE_CREATE",
                e -> {
                    String content = e.json().path("content").asText();
                    if (content.equals("stuck")) {
                        stuckRuns.incrementAndGet();
                        release.await();
                    }
                    handled.add(content);
                }), Clock.systemUTC());
        try {
            stream.publish(0, 1, "MESSAGE_CREATE", EventStream.message("stuck"));
            await().atMost(WAIT).until(() -> worker.registry().get("shardgate.worker.handlers.slow").gauge().value() == 1);
            stream.publish(1, 2, "MESSAGE_CREATE", EventStream.message("next"));
            await().atMost(WAIT).until(() -> handled.contains("next"));
            // held past several ack waits, yet never redelivered: its deadline is extended while its handler runs.
            // Nothing signals "not redelivered": the assertion is that 2.5 ack waits pass without it.
            Thread.sleep(5000);
            assertEquals(1, consumer().getNumAckPending());
            assertEquals(1, stuckRuns.get());
        } finally {
            release.countDown();
        }
        await().atMost(WAIT).until(() -> handled.contains("stuck"));
        // A gauge that held its supplier weakly read NaN from the next GC on (CI saw it once): collect now.
        System.gc();
        await().atMost(WAIT).until(() -> worker.registry().get("shardgate.worker.handlers.slow").gauge().value() == 0);
    }

    @Test
    void aDrainCutsARetryInPlaceShortAndHandsTheEventBack() throws Exception {
        stream.create();
        try (FakeRestProxy proxy = new FakeRestProxy()) {
            proxy.answer(503, "{}");
            // the next retry would come 10 s later, the drain may take 3 s: only the drain's signal ends the wait
            Worker worker = start(Map.of("REST_PROXY_URL", proxy.url(), "WORKER_RETRY_BACKOFF", "10s",
                    "WORKER_DRAIN_TIMEOUT", "3s"), b -> b.on("MESSAGE_CREATE",
                            e -> b.rest().createMessage("42", "x")), Clock.systemUTC());
            stream.publish(0, 1, "MESSAGE_CREATE", EventStream.message("retrying"));
            await().atMost(WAIT).until(() -> worker.registry().find("shardgate.worker.transient.retries").counter()
                    != null);
            assertTrue(worker.drain(), "drained within its timeout");
            assertEquals(1, count(worker, "MESSAGE_CREATE", "failed"), "handed back with a nak, not left to expire");
            assertEquals(1, proxy.requests().size());
        }
    }

    @Test
    void anInteractionAgesFromItsSnowflakeAndIsNeverAnsweredLate() throws Exception {
        stream.create();
        try (FakeRestProxy proxy = new FakeRestProxy()) {
            AtomicInteger runs = new AtomicInteger();
            Worker worker = start(Map.of("REST_PROXY_URL", proxy.url()), b -> b.on("INTERACTION_CREATE", e -> {
                runs.incrementAndGet();
                b.rest().replyToInteraction(e.json().path("id").asText(), "tok", "pong");
            }), Clock.systemUTC());
            // created 5 s ago, stored now: Discord no longer takes an answer
            stream.publish(0, 1, "INTERACTION_CREATE", interaction(Instant.now().minusSeconds(5)));
            await().atMost(WAIT).until(() -> count(worker, "INTERACTION_CREATE", "skipped_too_old") == 1);
            assertEquals(0, runs.get());

            // created 2 s ago and the REST proxy answers 503 throughout: retried until just before the deadline
            proxy.answer(503, "{}");
            Instant created = Instant.now().minusSeconds(2);
            stream.publish(0, 2, "INTERACTION_CREATE", interaction(created));
            await().atMost(WAIT).until(() -> count(worker, "INTERACTION_CREATE", "skipped_too_old") == 2);
            assertTrue(runs.get() >= 2, "retried in place while there was time: " + runs.get());
            for (FakeRestProxy.Request r : proxy.requests()) {
                assertTrue(r.at().isBefore(created.plusSeconds(3)), "answer attempted after the deadline: " + r.at());
            }
            await().atMost(WAIT).until(() -> consumer().getNumAckPending() == 0);
        }
    }

    @Test
    void anInteractionHandlerSlowerThanTheDeadlineSendsNoLateAnswer() throws Exception {
        stream.create();
        try (FakeRestProxy proxy = new FakeRestProxy()) {
            Worker worker = start(Map.of("REST_PROXY_URL", proxy.url()), b -> b.on("INTERACTION_CREATE", e -> {
                Thread.sleep(e.context().timeLeft().orElseThrow().toMillis() + 200); // work that outlasts the 3 s
                e.context().rest().replyToInteraction(e.json().path("id").asText(), "tok", "too late");
            }), Clock.systemUTC());
            stream.publish(0, 1, "INTERACTION_CREATE", interaction(Instant.now()));
            await().atMost(WAIT).until(() -> count(worker, "INTERACTION_CREATE", "skipped_too_old") == 1);
            assertTrue(proxy.requests().isEmpty(), "no answer after the deadline: " + proxy.requests());
            assertEquals(0, count(worker, "INTERACTION_CREATE", "dead_lettered"));
            await().atMost(WAIT).until(() -> consumer().getNumAckPending() == 0);
        }
    }

    private static String interaction(Instant created) {
        return "{\"id\":\"" + Snowflake.fromTimestampMillis(created.toEpochMilli()) + "\",\"type\":2,\"token\":\"tok\"}";
    }

    private Message nextDeadLetter() throws Exception {
        JetStreamSubscription sub = stream.connection().jetStream().subscribe("discord.deadletter.>",
                PullSubscribeOptions.builder().stream(WorkerConfig.DEFAULT_DEAD_LETTER_STREAM).build());
        await().atMost(WAIT).ignoreExceptions().until(() -> stream.connection().jetStreamManagement()
                .getStreamInfo(WorkerConfig.DEFAULT_DEAD_LETTER_STREAM).getStreamState().getMsgCount() > 0);
        List<Message> messages = sub.fetch(1, WAIT);
        assertEquals(1, messages.size());
        return messages.get(0);
    }
}
