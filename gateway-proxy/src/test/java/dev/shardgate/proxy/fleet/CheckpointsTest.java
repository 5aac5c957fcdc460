package dev.shardgate.proxy.fleet;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardgate.protocol.BotToken;
import dev.shardgate.proxy.gateway.Session;
import dev.shardgate.testkit.NatsServerProcess;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Session checkpoints on a real nats-server: what one instance writes, the next reads back exactly; anything that
 * cannot be trusted (unreadable, an older format, another bot, another shard count, too old, a bad seq or URL) reads
 * as no checkpoint instead of failing; only the instance that read the shard last may write it, so a process that
 * lost a shard (a lost compare-and-set, or {@link Checkpoints#forget}) never overwrites its next owner's; and the
 * owner of a quiet shard, whose checkpoint the server dropped after the session TTL, can still write it.
 */
@Tag("process")
class CheckpointsTest {
    private static final BotToken TOKEN = BotToken.of("checkpoints-test-token");
    private static final int SHARD_COUNT = 4;
    private static final int SHARD = 1;
    private static final Duration MAX_AGE = Duration.ofMinutes(5);
    private static final Session SESSION = new Session("session-a", URI.create("wss://resume.example.test/?v=10"));
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AtomicInteger BOTS = new AtomicInteger();

    private static NatsServerProcess server;
    private static Connection nats;
    private static FleetBuckets buckets;
    /** Each test is a bot of its own, so no test sees another's checkpoints. */
    private String prefix;

    @BeforeAll
    static void startNats() throws Exception {
        server = NatsServerProcess.start();
        nats = Nats.connect(server.url());
        buckets = FleetBuckets.open(nats, Duration.ofSeconds(2), MAX_AGE, 1);
    }

    @AfterAll
    static void stopNats() throws InterruptedException {
        nats.close();
        server.close();
    }

    @BeforeEach
    void newBot() {
        prefix = "cptest" + BOTS.incrementAndGet();
    }

    @Test
    void aWrittenCheckpointIsReadBackByTheNextOwner() throws Exception {
        Checkpoints writer = instance();
        assertEquals(Optional.empty(), writer.read(SHARD), "nothing written yet");
        assertTrue(write(writer, 42));
        assertEquals(Optional.of(checkpoint(42)), stored());

        assertTrue(write(writer, 43), "the writer goes on writing on its own");
        assertEquals(Optional.of(checkpoint(43)), stored());
    }

    @Test
    void aRawCheckpointInTheStoredFormatWithinTheMaxAgeIsRead() throws Exception {
        // The control for the untrusted values below: this is the format they are variations of.
        put(valid().put("written_at", System.currentTimeMillis() - MAX_AGE.minusSeconds(30).toMillis()));
        assertEquals(Optional.of(new Checkpoint(SHARD, new Session("raw-session",
                URI.create("wss://raw.example.test")), 7)), stored());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("untrusted")
    void anUntrustedOrUnreadableCheckpointReadsAsNone(String what, byte[] value) throws Exception {
        buckets.sessions().put(key(), value);
        assertEquals(Optional.empty(), stored());
    }

    static Stream<Arguments> untrusted() {
        return Stream.of(
                Arguments.of("corrupt bytes", new byte[] {0, (byte) 0xff, '{', '"'}),
                Arguments.of("JSON, but not an object", bytes("[1, 2, 3]")),
                Arguments.of("an older format without bot, shard count and time", bytes(JSON.createObjectNode()
                        .put("session_id", "raw-session").put("resume_gateway_url", "wss://raw.example.test")
                        .put("seq", 7).toString())),
                variant("another bot's", n -> n.put("bot", Checkpoints.botId(BotToken.of("another-bot-token")))),
                variant("another shard count's", n -> n.put("shard_count", SHARD_COUNT * 2)),
                variant("an older one than a session lives", n -> n.put("written_at",
                        System.currentTimeMillis() - MAX_AGE.plusSeconds(30).toMillis())),
                variant("a negative seq", n -> n.put("seq", -1)),
                variant("a seq that is not a number", n -> n.put("seq", "seven")),
                variant("a relative resume URL", n -> n.put("resume_gateway_url", "raw.example.test/")),
                variant("an unparseable resume URL", n -> n.put("resume_gateway_url", "wss://raw example/")));
    }

    @Test
    void aWriterThatLostTheCompareAndSetStopsWritingAndLeavesTheNewOwnersCheckpoint() throws Exception {
        SimpleMeterRegistry formerMeters = new SimpleMeterRegistry();
        Checkpoints former = instance(nats, buckets, formerMeters);
        former.read(SHARD);
        assertTrue(write(former, 10));
        Checkpoints next = instance();
        assertEquals(Optional.of(checkpoint(10)), next.read(SHARD));
        assertTrue(write(next, 11));

        long sentAt = System.nanoTime();
        assertFalse(write(former, 12), "another instance wrote since");
        // Told apart with one KV read: neither a failure to retry nor a wait for a timeout.
        Duration answeredIn = Duration.ofNanos(System.nanoTime() - sentAt);
        assertTrue(answeredIn.compareTo(Duration.ofSeconds(1)) < 0, "a lost race answered after " + answeredIn);
        assertEquals(0, formerMeters.get("shardgate_checkpoint_write_failures").counter().count());
        assertFalse(write(former, 13), "it no longer writes the shard at all");
        assertEquals(Optional.of(checkpoint(11)), stored());

        assertTrue(write(next, 14), "the new owner goes on writing");
        assertEquals(Optional.of(checkpoint(14)), former.read(SHARD));
        assertTrue(write(former, 15), "reading the shard again entitles it");
    }

    @Test
    void theOwnerStillWritesAfterItsCheckpointExpiredOnAQuietShard() throws Exception {
        // A shard without dispatches writes no checkpoint; after SESSION_HANDOVER_TTL the server drops the key.
        try (NatsServerProcess own = NatsServerProcess.start(); Connection ownNats = Nats.connect(own.url())) {
            FleetBuckets shortLived = FleetBuckets.open(ownNats, Duration.ofSeconds(2), Duration.ofSeconds(1), 1);
            Checkpoints owner = instance(ownNats, shortLived, new SimpleMeterRegistry());
            owner.read(SHARD);
            assertTrue(write(owner, 30));
            await().atMost(Duration.ofSeconds(5)).until(() -> shortLived.sessions().get(key()) == null);

            write(owner, 31); // documented: a write may fail, the next one retries
            assertTrue(write(owner, 32), "nobody else wrote: the owner must be able to write its checkpoint");
            assertEquals(Optional.of(checkpoint(32)),
                    instance(ownNats, shortLived, new SimpleMeterRegistry()).read(SHARD));
        }
    }

    @Test
    void anInstanceThatNeverReadTheShardCannotWriteIt() throws Exception {
        assertFalse(write(instance(), 1));
        assertNull(buckets.sessions().get(key()));
    }

    @Test
    void forgetEndsThisInstancesWritesButLeavesTheCheckpointForTheNextOwner() throws Exception {
        Checkpoints former = instance();
        former.read(SHARD);
        assertTrue(write(former, 20));
        former.forget(SHARD);

        assertFalse(write(former, 21));
        assertEquals(Optional.of(checkpoint(20)), stored(), "the next owner resumes from the last one written");
    }

    /** What a new owner of the shard reads. */
    private Optional<Checkpoint> stored() throws Exception {
        return instance().read(SHARD);
    }

    private Checkpoints instance() throws Exception {
        return instance(nats, buckets, new SimpleMeterRegistry());
    }

    private Checkpoints instance(Connection via, FleetBuckets in, MeterRegistry registry) throws Exception {
        return new Checkpoints(in.sessions(), via.jetStream(), prefix, TOKEN, SHARD_COUNT, MAX_AGE, Clock.systemUTC(),
                registry);
    }

    private static boolean write(Checkpoints by, long seq) {
        return by.writeNow(checkpoint(seq), Duration.ofSeconds(5));
    }

    private void put(ObjectNode value) throws Exception {
        buckets.sessions().put(key(), bytes(value.toString()));
    }

    private String key() {
        return prefix + "." + SHARD;
    }

    private static Checkpoint checkpoint(long seq) {
        return new Checkpoint(SHARD, SESSION, seq);
    }

    /** A checkpoint as {@link Checkpoints} stores it for this bot, written now by some other process. */
    private static ObjectNode valid() {
        return JSON.createObjectNode().put("session_id", "raw-session").put("resume_gateway_url", "wss://raw.example.test")
                .put("seq", 7).put("bot", Checkpoints.botId(TOKEN)).put("shard_count", SHARD_COUNT)
                .put("written_at", System.currentTimeMillis()).put("writer", "another-process");
    }

    private static Arguments variant(String what, Consumer<ObjectNode> change) {
        ObjectNode n = valid();
        change.accept(n);
        return Arguments.of(what, bytes(n.toString()));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
