package dev.shardgate.proxy.publish;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.testkit.NatsServerProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.ObjectStoreConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.text.MessageFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A nats-server with a 64 KiB max_payload: a body over it goes to the object store bucket {stream}_LARGE and its
 * pointer message takes its place in the shard's order; while the object store cannot take it, other shards' events
 * keep being stored and the failing puts make two log lines, not one per retry; a bucket that can never be created
 * dead-letters the event and its shard goes on.
 */
@Tag("process")
class LargeEventPublishTest {
    private static final int MAX_PAYLOAD = 64 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String STREAM = "DISCORD_EVENTS";
    private static final String BUCKET = "DISCORD_EVENTS_LARGE";
    private static final Logger PUBLISH_LOGGER = Logger.getLogger("dev.shardgate.proxy.publish");

    private final Subjects subjects = new Subjects("discord");
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.INFO.intValue()) {
                lines.add(r.getLevel() + " " + MessageFormat.format(r.getMessage(), r.getParameters()));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private NatsServerProcess nats;
    private Connection client;
    private JetStreamManagement jsm;
    private EventPublisher publisher;

    @BeforeEach
    void start() throws Exception {
        nats = NatsServerProcess.startWithConfig("max_payload: " + MAX_PAYLOAD);
        client = Nats.connect(nats.url());
        jsm = client.jetStreamManagement();
        PUBLISH_LOGGER.addHandler(capture);
    }

    @AfterEach
    void stop() throws Exception {
        PUBLISH_LOGGER.removeHandler(capture);
        if (publisher != null) {
            publisher.close();
        }
        client.close();
        nats.close();
    }

    @Test
    void aBodyOverMaxPayloadGoesToTheObjectStoreInItsShardsOrderWhileOtherShardsFlow() throws Exception {
        assertEquals(MAX_PAYLOAD, client.getServerInfo().getMaxPayload(), "the server runs with the small limit");
        EventStream.ensure(jsm, STREAM, subjects.allEvents(), Duration.ofHours(1), Duration.ofMinutes(1), 1);
        // A bucket too small for the body: every put fails (transiently) until the test makes room.
        client.objectStoreManagement().create(ObjectStoreConfiguration.builder(BUCKET).storageType(StorageType.File)
                .maxBucketSize(1024).build());
        publisher = new EventPublisher(client, subjects,
                new PublisherSettings(10_000, 64L << 20, STREAM, Duration.ofHours(1), 1), shard -> true, registry,
                Duration.ofMillis(50), Duration.ofMillis(200));

        byte[] large = largeBody(200_000);
        assertTrue(publisher.offer(0, "s", 1, "GUILD_CREATE", body(1)));
        assertTrue(publisher.offer(0, "s", 2, "GUILD_CREATE", large));
        assertTrue(publisher.offer(0, "s", 3, "MESSAGE_CREATE", body(3)));
        for (long seq = 1; seq <= 20; seq++) {
            assertTrue(publisher.offer(1, "t", seq, "MESSAGE_CREATE", body(seq)));
        }
        // Shard 1 is stored whole and shard 0's first event too, while shard 0's large body cannot be put.
        await().atMost(WAIT).until(() -> stored().size() == 21 && counter("shardgate_publish_failures") >= 5);
        assertEquals(List.of("0:1"), seqsOf(0), "shard 0's later event waits behind its large one");

        StreamConfiguration bucketStream = jsm.getStreamInfo("OBJ_" + BUCKET).getConfiguration();
        jsm.updateStream(StreamConfiguration.builder(bucketStream).maxBytes(-1).build());
        assertTrue(publisher.flush(WAIT), publisher.pending() + " events not stored");

        assertEquals(List.of("0:1", "0:2", "0:3"), seqsOf(0), "the pointer keeps its place in the shard's order");
        MessageInfo pointer = stored().stream().filter(m -> seqOf(m).equals("0:2")).findFirst().orElseThrow();
        assertEquals("discord.events.0.GUILD_CREATE", pointer.getSubject());
        assertEquals("0", pointer.getHeaders().getFirst(EventHeaders.SHARD));
        assertEquals("GUILD_CREATE", pointer.getHeaders().getFirst(EventHeaders.EVENT));
        assertEquals("0:s:2", pointer.getHeaders().getFirst(EventHeaders.MSG_ID));
        assertEquals("0:s:2", pointer.getHeaders().getFirst(EventHeaders.OBJECT));
        assertTrue(pointer.getData() == null || pointer.getData().length == 0, "the pointer has an empty body");
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        client.objectStore(BUCKET).get("0:s:2", body);
        assertArrayEquals(large, body.toByteArray());
        assertEquals(1, registry.get("shardgate_publish_large_events").counter().count());

        List<String> outage = lines.stream().filter(l -> l.contains("publishing to JetStream")).toList();
        assertEquals(2, outage.size(), lines.toString());
        assertTrue(outage.get(0).startsWith("WARNING publishing to JetStream fails"), outage.get(0));
        assertTrue(outage.get(1).startsWith("INFO publishing to JetStream recovered"), outage.get(1));
    }

    @Test
    void aBucketThatIsMissingIsCreatedWithTheStreamsMaxAgeAndTheReplayOfAStoredBodyIsNotRewritten()
            throws Exception {
        EventStream.ensure(jsm, STREAM, subjects.allEvents(), Duration.ofHours(1), Duration.ofMinutes(1), 1);
        publisher = new EventPublisher(client, subjects,
                new PublisherSettings(10_000, 64L << 20, STREAM, Duration.ofHours(5), 1), shard -> true, registry,
                Duration.ofMillis(50), Duration.ofMillis(200));
        byte[] large = largeBody(100_000);
        assertTrue(publisher.offer(0, "s", 1, "GUILD_CREATE", large));
        assertTrue(publisher.flush(WAIT), publisher.pending() + " events not stored");
        StreamConfiguration bucket = jsm.getStreamInfo("OBJ_" + BUCKET).getConfiguration();
        assertEquals(Duration.ofHours(5), bucket.getMaxAge());
        assertEquals(StorageType.File, bucket.getStorageType());
        String nuid = client.objectStore(BUCKET).getInfo("0:s:1").getNuid();

        // Discord replays it after a resume: same message id, same bytes; the object is left as it is.
        assertTrue(publisher.offer(0, "s", 1, "GUILD_CREATE", large));
        assertTrue(publisher.flush(WAIT), publisher.pending() + " events not stored");
        assertEquals(nuid, client.objectStore(BUCKET).getInfo("0:s:1").getNuid());
        assertEquals(1, stored().size(), "the replayed pointer is de-duplicated by its message id");
    }

    @Test
    void aBodyTheObjectStoreRefusesForGoodIsDeadLetteredAndItsShardGoesOn() throws Exception {
        EventStream.ensure(jsm, STREAM, subjects.allEvents(), Duration.ofHours(1), Duration.ofMinutes(1), 1);
        // Three replicas on a single server: the bucket can never be created.
        publisher = new EventPublisher(client, subjects,
                new PublisherSettings(10_000, 64L << 20, STREAM, Duration.ofHours(1), 3), shard -> true, registry,
                Duration.ofMillis(50), Duration.ofMillis(200));
        assertTrue(publisher.offer(0, "s", 1, "GUILD_CREATE", largeBody(100_000)));
        assertTrue(publisher.offer(0, "s", 2, "MESSAGE_CREATE", body(2)));
        assertTrue(publisher.flush(WAIT), publisher.pending() + " events not settled");

        assertEquals(List.of("0:2"), seqsOf(0), "the shard went on without the large event");
        MessageInfo letter = jsm.getMessage(Subjects.DEFAULT_DEAD_LETTER_STREAM, 1);
        assertEquals("discord.deadletter.proxy.0", letter.getSubject());
        assertEquals("1", letter.getHeaders().getFirst(EventHeaders.SEQ));
        String error = letter.getHeaders().getFirst(EventHeaders.ERROR);
        assertTrue(error.startsWith("its body could not be put in the object store: JetStream refused it:")
                && error.contains("10074") && error.endsWith("bytes not kept: too large for a dead letter"), error);
        assertTrue(letter.getData() == null || letter.getData().length == 0);
        assertEquals(1, registry.get("shardgate_publish_dead_lettered").counter().count());
    }

    private List<MessageInfo> stored() throws Exception {
        long last = jsm.getStreamInfo(STREAM).getStreamState().getLastSequence();
        List<MessageInfo> out = new ArrayList<>();
        for (long s = 1; s <= last; s++) {
            out.add(jsm.getMessage(STREAM, s));
        }
        return out;
    }

    private List<String> seqsOf(int shard) throws Exception {
        return stored().stream().map(LargeEventPublishTest::seqOf).filter(s -> s.startsWith(shard + ":")).toList();
    }

    private static String seqOf(MessageInfo m) {
        return m.getHeaders().getFirst(EventHeaders.SHARD) + ":" + m.getHeaders().getFirst(EventHeaders.SEQ);
    }

    private double counter(String name) {
        return registry.get(name).counter().count();
    }

    private static byte[] body(long n) {
        return ("{\"n\":" + n + "}").getBytes(StandardCharsets.UTF_8);
    }

    /** A JSON body of about {@code size} bytes whose content varies, so a misplaced chunk would show. */
    static byte[] largeBody(int size) {
        StringBuilder json = new StringBuilder(size + 64).append("{\"members\":[");
        for (int i = 0; json.length() < size; i++) {
            json.append(i == 0 ? "" : ",").append("{\"id\":\"").append(1_000_000_000L + i).append("\"}");
        }
        return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }
}
