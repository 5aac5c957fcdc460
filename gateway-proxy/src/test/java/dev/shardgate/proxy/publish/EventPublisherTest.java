package dev.shardgate.proxy.publish;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.testkit.NatsServerProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The publisher against a real nats-server: retried publishes keep each shard's order, publishes left unanswered
 * are sent again and stored once, odd event types are stored safely, a permanent failure is dead-lettered without holding up later events, both buffer bounds refuse, the
 * fence drops a shard's events, safeSeq stops before the oldest unsettled event, and member chunks never wait for a
 * frozen NATS.
 */
@Tag("process")
class EventPublisherTest {
    private static final int EVENTS_PER_SHARD = 40;
    private static final Duration RETRY_BACKOFF = Duration.ofSeconds(2);
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String STREAM = "DISCORD_EVENTS";

    private final Subjects subjects = new Subjects("discord");
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<EventPublisher> publishers = new ArrayList<>();
    private NatsServerProcess nats;
    private Connection client;
    private JetStreamManagement jsm;

    @BeforeEach
    void start() throws Exception {
        nats = NatsServerProcess.start();
        client = Nats.connect(nats.url());
        jsm = client.jetStreamManagement();
    }

    @AfterEach
    void stop() throws Exception {
        publishers.forEach(EventPublisher::close);
        client.close();
        nats.close();
    }

    private EventPublisher publisher(int bufferEvents, long bufferBytes, IntPredicate mayPublish,
            Duration minBackoff, Duration maxBackoff) {
        EventPublisher p = new EventPublisher(client, subjects,
                new PublisherSettings(bufferEvents, bufferBytes, STREAM, Duration.ofHours(1), 1), mayPublish, registry,
                minBackoff, maxBackoff);
        publishers.add(p);
        return p;
    }

    private EventPublisher publisher() {
        return publisher(10_000, 64L << 20, shard -> true, Duration.ofMillis(50), Duration.ofMillis(200));
    }

    private void createStream() throws Exception {
        EventStream.ensure(jsm, STREAM, subjects.allEvents(), Duration.ofHours(1), Duration.ofMinutes(1), 1);
    }

    @Test
    void eventsThatFailedWhileTheStreamWasMissingAreStoredInTheirShardsOrder() throws Exception {
        // Every retry round sleeps 2 s, so the stream can be created between rounds, not during one.
        EventPublisher publisher = publisher(10_000, 64L << 20, shard -> true, RETRY_BACKOFF, RETRY_BACKOFF);
        // No stream yet: JetStream answers "no responders" and every publish fails and waits for a retry.
        for (int seq = 1; seq <= EVENTS_PER_SHARD / 2; seq++) {
            offerOnShards(publisher, seq);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> counter("shardgate_publish_failures") > 0);
        for (int seq = EVENTS_PER_SHARD / 2 + 1; seq <= EVENTS_PER_SHARD; seq++) {
            offerOnShards(publisher, seq);
        }
        // Create the stream while the publisher sleeps its backoff, not while a retry round is in flight
        // (events in flight together when a publish fails are the documented exception to the order).
        awaitRetryRoundOver((long) counter("shardgate_publish_failures"));
        createStream();
        assertTrue(publisher.flush(WAIT), publisher.pending() + " events not stored");

        Map<Integer, List<Long>> order = new HashMap<>();
        for (MessageInfo m : stored(STREAM)) {
            order.computeIfAbsent(Integer.parseInt(m.getHeaders().getFirst(EventHeaders.SHARD)),
                    k -> new ArrayList<>()).add(Long.parseLong(m.getHeaders().getFirst(EventHeaders.SEQ)));
        }
        List<Long> expected = new ArrayList<>();
        for (long seq = 1; seq <= EVENTS_PER_SHARD; seq++) {
            expected.add(seq);
        }
        assertEquals(Map.of(0, expected, 1, expected), order);
    }

    @Test
    void publishesLeftUnansweredPastTheAckTimeoutAreSentAgainAndStoredOnce() throws Exception {
        createStream();
        EventPublisher publisher = publisher();
        nats.freeze(); // the server reads nothing and answers nothing; the publishes wait in the socket
        try {
            for (int seq = 1; seq <= 10; seq++) {
                offerOnShards(publisher, seq);
            }
            await().atMost(EventPublisher.ACK_TIMEOUT.plusSeconds(10))
                    .until(() -> counter("shardgate_publish_failures") >= 20);
        } finally {
            nats.thaw();
        }
        assertTrue(publisher.flush(WAIT), publisher.pending() + " events not stored");
        // The first sends and the retries both reach the server; the message ids keep one of each.
        List<String> ids = stored(STREAM).stream().map(m -> m.getHeaders().getFirst(EventHeaders.MSG_ID)).toList();
        assertEquals(20, ids.size(), "stored: " + ids);
        assertEquals(20, ids.stream().distinct().count(), "stored: " + ids);
    }

    @Test
    void aTypeThatIsNoSubjectTokenIsStoredUnderASafeTokenWithTheTypeInTheHeader() throws Exception {
        createStream();
        EventPublisher publisher = publisher();
        List<String> types = List.of("MESSAGE_CREATE", "MESSAGE.CREATE", "ALL*", "ANY>", "TWO WORDS", "",
                "X".repeat(10_000), "LINE\r\nBREAK", "CAF\u00c9", "BACK\\SLASH");
        for (int i = 0; i < types.size(); i++) {
            assertTrue(publisher.offer(0, "s", i + 1, types.get(i), body(i + 1)));
        }
        assertTrue(publisher.flush(WAIT), publisher.pending() + " events not stored");

        List<MessageInfo> stored = stored(STREAM);
        assertEquals(types.size(), stored.size());
        for (int i = 0; i < types.size(); i++) {
            MessageInfo m = stored.get(i);
            String type = types.get(i);
            assertEquals(subjects.event(0, type), m.getSubject(), "type #" + i);
            String token = m.getSubject().substring("discord.events.0.".length());
            assertTrue(i == 0 ? token.equals("MESSAGE_CREATE") : token.matches("~[0-9a-f]{32}"), token);
            assertEquals(type, EventHeaders.eventType(m.getHeaders().getFirst(EventHeaders.EVENT)), "type #" + i);
            assertArrayEquals(body(i + 1), m.getData());
        }
        assertEquals("MESSAGE.CREATE", stored.get(1).getHeaders().getFirst(EventHeaders.EVENT),
                "a printable type goes in the header exactly");
        assertEquals(0, counter("shardgate_publish_dead_lettered"));
    }

    @Test
    void anEventTheStreamRefusesForGoodIsDeadLetteredAndLaterEventsAreStored() throws Exception {
        jsm.addStream(StreamConfiguration.builder().name(STREAM).subjects(subjects.allEvents())
                .storageType(StorageType.File).maximumMessageSize(1024).build());
        EventPublisher publisher = publisher();
        byte[] tooBig = ("{\"content\":\"" + "x".repeat(4000) + "\"}").getBytes(StandardCharsets.UTF_8);
        assertTrue(publisher.offer(0, "s", 1, "MESSAGE_CREATE", body(1)));
        assertTrue(publisher.offer(0, "s", 2, "MESSAGE_CREATE", tooBig));
        for (long seq = 3; seq <= 10; seq++) {
            assertTrue(publisher.offer(0, "s", seq, "MESSAGE_CREATE", body(seq)));
        }
        assertTrue(publisher.flush(WAIT), publisher.pending() + " events not settled");

        assertEquals(List.of(1L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L),
                stored(STREAM).stream().map(m -> Long.parseLong(m.getHeaders().getFirst(EventHeaders.SEQ))).toList());
        List<MessageInfo> dead = stored(Subjects.DEFAULT_DEAD_LETTER_STREAM);
        assertEquals(1, dead.size());
        MessageInfo letter = dead.get(0);
        assertEquals("discord.deadletter.proxy.0", letter.getSubject());
        assertEquals("2", letter.getHeaders().getFirst(EventHeaders.SEQ));
        assertEquals("MESSAGE_CREATE", letter.getHeaders().getFirst(EventHeaders.EVENT));
        assertEquals("discord.events.0.MESSAGE_CREATE", letter.getHeaders().getFirst(EventHeaders.SUBJECT));
        assertEquals("dead:0:s:2", letter.getHeaders().getFirst(EventHeaders.MSG_ID));
        String error = letter.getHeaders().getFirst(EventHeaders.ERROR);
        assertTrue(error.contains("10054") && error.contains("message size exceeds maximum"), error);
        assertArrayEquals(tooBig, letter.getData());
        assertEquals(1, counter("shardgate_publish_dead_lettered"));
        assertEquals(0, counter("shardgate_publish_failures"), "a permanent failure is not retried");
        assertEquals(10, publisher.safeSeq(0, "s", 10), "a dead-lettered event is settled");
    }

    @Test
    void theBufferRefusesAtEitherBoundAndHasRoomAgainOnceItDrained() throws Exception {
        // No stream yet: everything offered stays buffered until it is created.
        EventPublisher byBytes = publisher(100, 1000, shard -> true, Duration.ofMillis(50), Duration.ofMillis(200));
        byte[] big = new byte[600];
        assertTrue(byBytes.offer(0, "s", 1, "MESSAGE_CREATE", big));
        assertTrue(byBytes.offer(0, "s", 2, "MESSAGE_CREATE", big), "600 of 1000 bytes: not reached yet");
        assertFalse(byBytes.offer(0, "s", 3, "MESSAGE_CREATE", body(3)), "1200 bytes: the byte bound is reached");
        assertFalse(byBytes.hasRoom());
        assertEquals(1, counter("shardgate_publish_refused"));
        assertEquals(1200, registry.get("shardgate_publish_buffer_bytes").gauge().value());

        EventPublisher byEvents = new EventPublisher(client, subjects,
                new PublisherSettings(4, 1L << 20, STREAM, Duration.ofHours(1), 1), shard -> true,
                new SimpleMeterRegistry(), Duration.ofMillis(50), Duration.ofMillis(200));
        publishers.add(byEvents);
        for (long seq = 1; seq <= 4; seq++) {
            assertTrue(byEvents.offer(1, "t", seq, "MESSAGE_CREATE", body(seq)));
        }
        assertFalse(byEvents.offer(1, "t", 5, "MESSAGE_CREATE", body(5)), "4 events: the event bound is reached");
        assertFalse(byEvents.hasRoom());

        createStream();
        assertTrue(byBytes.flush(WAIT), byBytes.pending() + " events not stored");
        assertTrue(byEvents.flush(WAIT), byEvents.pending() + " events not stored");
        assertTrue(byBytes.hasRoom());
        assertTrue(byEvents.hasRoom());
        assertTrue(byBytes.offer(0, "s", 3, "MESSAGE_CREATE", body(3)));
    }

    @Test
    void aShardThisInstanceNoLongerOwnsHasItsEventsDroppedNotPublished() throws Exception {
        AtomicBoolean ownsShard1 = new AtomicBoolean(true);
        EventPublisher publisher = publisher(10_000, 64L << 20, shard -> shard != 1 || ownsShard1.get(),
                Duration.ofMillis(50), Duration.ofMillis(200));
        // No stream: both shards' events fail and wait for a retry; then shard 1's lease is lost.
        for (long seq = 1; seq <= 5; seq++) {
            offerOnShards(publisher, seq);
        }
        await().atMost(WAIT).until(() -> counter("shardgate_publish_failures") > 0);
        ownsShard1.set(false);
        createStream();
        assertTrue(publisher.offer(1, "session-1", 6, "MESSAGE_CREATE", body(6)));
        assertTrue(publisher.flush(WAIT), publisher.pending() + " events not settled");

        List<MessageInfo> stored = stored(STREAM);
        assertEquals(5, stored.size());
        assertTrue(stored.stream().allMatch(m -> m.getHeaders().getFirst(EventHeaders.SHARD).equals("0")));
        assertEquals(6, counter("shardgate_publish_fenced"));
    }

    @Test
    void safeSeqStopsBeforeTheOldestUnstoredEventOfThatShardsSession() throws Exception {
        EventPublisher publisher = publisher();
        for (long seq = 1; seq <= 3; seq++) {
            assertTrue(publisher.offer(0, "a", seq, "MESSAGE_CREATE", body(seq)));
        }
        await().atMost(WAIT).until(() -> counter("shardgate_publish_failures") > 0);
        assertEquals(0, publisher.safeSeq(0, "a", 3), "nothing stored yet");
        assertEquals(7, publisher.safeSeq(0, "b", 7), "another session of the shard has nothing buffered");
        assertEquals(9, publisher.safeSeq(1, "a", 9), "another shard has nothing buffered");
        createStream();
        assertTrue(publisher.flush(WAIT), publisher.pending() + " events not stored");
        assertEquals(3, publisher.safeSeq(0, "a", 3));
    }

    @Test
    void memberChunksNeverHoldUpTheShardWhileNatsTakesNothingAndPastTheBoundAreDroppedAndCounted() throws Exception {
        int chunks = 400;
        int chunkBytes = 100 * 1024;
        // A small outgoing queue, so that jnats' publish waits (up to its push timeout, 2 s) once the frozen server's
        // socket buffers are full: 40 MB of chunks get there well before the offers end.
        try (Connection slow = Nats.connect(new Options.Builder().server(nats.url()).maxMessagesInOutgoingQueue(4)
                .build())) {
            Subscription received = client.subscribe(subjects.chunks("n1"));
            client.flush(Duration.ofSeconds(5));
            EventPublisher publisher = new EventPublisher(slow, subjects,
                    new PublisherSettings(10_000, 64L << 20, STREAM, Duration.ofHours(1), 1), shard -> true, registry);
            publishers.add(publisher);
            nats.freeze();
            try {
                Thread offering = Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < chunks; i++) {
                        publisher.publishChunk(0, i, "n1", new byte[chunkBytes]);
                    }
                });
                // The shard's thread (often gateway-io) only hands chunks over: 400 of them while nothing moves.
                assertTrue(offering.join(Duration.ofSeconds(20)), "publishChunk waited for NATS");
                double dropped = counter("shardgate_chunks_dropped");
                assertTrue(dropped > 0, "nothing dropped past the bound");
                assertTrue(dropped < chunks, "everything dropped");
            } finally {
                nats.thaw();
            }
            await().atMost(WAIT).until(() -> counter("shardgate_chunks_published") > 0);
            assertTrue(received.nextMessage(WAIT) != null, "no chunk arrived once NATS took them again");
        }
    }

    private List<MessageInfo> stored(String stream) throws Exception {
        long last = jsm.getStreamInfo(stream).getStreamState().getLastSequence();
        List<MessageInfo> out = new ArrayList<>();
        for (long s = 1; s <= last; s++) {
            out.add(jsm.getMessage(stream, s));
        }
        return out;
    }

    private double counter(String name) {
        return registry.get(name).counter().count();
    }

    /** Waits until a retry round has failed after {@code failuresBefore} and the publisher sleeps its 2 s. */
    private void awaitRetryRoundOver(long failuresBefore) {
        long[] last = {failuresBefore, System.nanoTime()};
        await().atMost(WAIT).pollInterval(Duration.ofMillis(10)).until(() -> {
            long failures = (long) counter("shardgate_publish_failures");
            long now = System.nanoTime();
            if (failures != last[0]) {
                last[0] = failures;
                last[1] = now;
            }
            return failures > failuresBefore && now - last[1] > Duration.ofMillis(200).toNanos();
        });
    }

    private static byte[] body(long n) {
        return ("{\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8);
    }

    private static void offerOnShards(EventPublisher publisher, long seq) {
        for (int shard = 0; shard < 2; shard++) {
            assertTrue(publisher.offer(shard, "session-" + shard, seq, "MESSAGE_CREATE", body(seq)));
        }
    }
}
