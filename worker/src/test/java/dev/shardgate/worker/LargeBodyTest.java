package dev.shardgate.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.testkit.NatsServerProcess;
import io.micrometer.core.instrument.Counter;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.ObjectStoreConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.impl.Headers;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Events whose body the proxy put in the object store ({@code Shardgate-Object}, empty body): handlers get the full
 * body through the usual event API; a body that is gone is dead-lettered with a clear error, and the worker goes on.
 */
@Tag("process")
class LargeBodyTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String BUCKET = "DISCORD_EVENTS_LARGE";

    private NatsServerProcess nats;
    private EventStream stream;
    private Worker worker;
    private final Map<Long, Event> handled = new ConcurrentHashMap<>();

    @BeforeEach
    void setUp() throws Exception {
        nats = NatsServerProcess.start();
        stream = new EventStream(nats.url(), "discord");
        stream.create();
        worker = Worker.builder(WorkerConfig.from(Map.of("NATS_URL", nats.url(), "WORKER_METRICS_PORT", "0",
                        "WORKER_RETRY_BACKOFF", "100ms", "WORKER_MAX_DELIVERIES", "3", "WORKER_DRAIN_TIMEOUT", "10s")))
                .on("GUILD_CREATE", e -> handled.put(e.seq(), e))
                .on("MESSAGE_CREATE", e -> handled.put(e.seq(), e))
                .build();
        worker.start();
    }

    @AfterEach
    void tearDown() {
        worker.drain();
        stream.close();
        nats.close();
    }

    @Test
    void aHandlerGetsTheWholeBodyFromTheObjectStore() throws Exception {
        byte[] body = guild(3 * 1024 * 1024);
        createBucket();
        stream.connection().objectStore(BUCKET).put(EventHeaders.messageId(0, EventStream.SESSION, 1),
                new ByteArrayInputStream(body));
        publishPointer(0, 1, "GUILD_CREATE");
        stream.publish(0, 2, "MESSAGE_CREATE", EventStream.message("after"));

        await().atMost(WAIT).until(() -> handled.containsKey(1L) && handled.containsKey(2L));
        Event large = handled.get(1L);
        assertArrayEquals(body, large.raw());
        assertEquals("GUILD_CREATE", large.type());
        assertEquals(0, large.shard());
        assertEquals("7", large.json().path("id").asText(), "the body parses like any other");
        assertEquals(1, count("GUILD_CREATE", "handled"));
    }

    @Test
    void aBodyThatIsGoneIsDeadLetteredWithWhyAndTheWorkerGoesOn() throws Exception {
        publishPointer(0, 1, "GUILD_CREATE");
        await().atMost(WAIT).until(() -> count("GUILD_CREATE", "dead_lettered") == 1);
        createBucket();
        publishPointer(0, 2, "GUILD_CREATE");
        stream.publish(0, 3, "MESSAGE_CREATE", EventStream.message("after"));

        await().atMost(WAIT).until(() -> handled.containsKey(3L) && count("GUILD_CREATE", "dead_lettered") == 2);
        assertTrue(!handled.containsKey(1L) && !handled.containsKey(2L), "no handler ran without its body");
        List<MessageInfo> dead = deadLetters();
        assertEquals(2, dead.size());
        assertEquals("large body 0:test-session:1 is missing: the object store bucket " + BUCKET + " does not exist",
                dead.get(0).getHeaders().getFirst(EventHeaders.ERROR));
        assertEquals("large body 0:test-session:2 is missing from the object store bucket " + BUCKET
                + " (aged out or deleted)", dead.get(1).getHeaders().getFirst(EventHeaders.ERROR));
        MessageInfo letter = dead.get(1);
        assertEquals("discord.deadletter.0.GUILD_CREATE", letter.getSubject());
        assertEquals("0:test-session:2", letter.getHeaders().getFirst(EventHeaders.OBJECT));
        assertEquals("1", letter.getHeaders().getFirst("Shardgate-Deliveries"), "dead-lettered at once, not retried");
        assertTrue(letter.getData() == null || letter.getData().length == 0);
        await().atMost(WAIT).until(() -> stream.connection().jetStreamManagement()
                .getConsumerInfo(Subjects.DEFAULT_STREAM, WorkerConfig.DEFAULT_CONSUMER).getNumAckPending() == 0);
        assertEquals(WorkerState.RUNNING, worker.state());
    }

    private void createBucket() throws Exception {
        stream.connection().objectStoreManagement().create(ObjectStoreConfiguration.builder(BUCKET)
                .storageType(StorageType.File).build());
    }

    /** What the proxy publishes for a large event: the usual subject and headers, the object's name, no body. */
    private void publishPointer(int shard, long seq, String type) throws Exception {
        String id = EventHeaders.messageId(shard, EventStream.SESSION, seq);
        Headers headers = new Headers()
                .add(EventHeaders.SHARD, Integer.toString(shard))
                .add(EventHeaders.SEQ, Long.toString(seq))
                .add(EventHeaders.EVENT, type)
                .add(EventHeaders.MSG_ID, id)
                .add(EventHeaders.OBJECT, id);
        stream.connection().jetStream().publish(new Subjects("discord").event(shard, type), headers, new byte[0]);
    }

    private List<MessageInfo> deadLetters() throws Exception {
        JetStreamManagement jsm = stream.connection().jetStreamManagement();
        long last = jsm.getStreamInfo(WorkerConfig.DEFAULT_DEAD_LETTER_STREAM).getStreamState().getLastSequence();
        List<MessageInfo> out = new ArrayList<>();
        for (long s = 1; s <= last; s++) {
            out.add(jsm.getMessage(WorkerConfig.DEFAULT_DEAD_LETTER_STREAM, s));
        }
        return out;
    }

    private double count(String type, String outcome) {
        Counter c = worker.registry().find("shardgate.worker.events").tags("type", type, "outcome", outcome)
                .counter();
        return c == null ? 0 : c.count();
    }

    /** A GUILD_CREATE body of about {@code size} bytes. */
    static byte[] guild(int size) {
        StringBuilder json = new StringBuilder(size + 64).append("{\"id\":\"7\",\"members\":[");
        for (int i = 0; json.length() < size; i++) {
            json.append(i == 0 ? "" : ",").append("{\"user\":{\"id\":\"").append(1_000_000_000L + i)
                    .append("\"}}");
        }
        return json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }
}
