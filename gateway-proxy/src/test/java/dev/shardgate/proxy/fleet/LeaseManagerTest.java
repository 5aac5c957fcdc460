package dev.shardgate.proxy.fleet;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.testkit.NatsServerProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Shard ownership on a real nats-server: two managers (also two with the same instance id) never hold one shard at
 * once and both name its holder; a release hands a shard over at once, a crashed holder's shards only after its
 * lease's TTL; a holder cut off from NATS lets go before the TTL could let anyone else in; a holder whose lease is
 * gone takes its shards back under a new one, never beside another holder; at rest only one lease per process is
 * written, nothing per shard; and a garbage claim neither breaks the manager nor stops the shard being taken.
 */
@Tag("process")
class LeaseManagerTest {
    private static final Duration TTL = Duration.ofSeconds(3);
    private static final Duration RENEW_EVERY = TTL.dividedBy(4);
    private static final Duration SESSION_TTL = Duration.ofMinutes(5);
    private static final String PREFIX = "leasetest";
    private static final List<Integer> SHARDS = List.of(0, 1, 2, 3);
    private static final ObjectMapper JSON = new ObjectMapper();

    private NatsServerProcess server;
    private final List<AutoCloseable> opened = new ArrayList<>();

    @BeforeEach
    void startNats() {
        server = NatsServerProcess.start();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (AutoCloseable c : opened.reversed()) {
            c.close();
        }
        server.close();
    }

    @Test
    void twoManagersNeverHoldOneShardAndBothNameItsHolder() throws Exception {
        assertExclusive(member("gateway-0"), member("gateway-1"));
    }

    @Test
    void twinsWithOneInstanceIdNeverHoldOneShardAndATakeoverIsNotMistakenForTheirOwnLease() throws Exception {
        Member a = member("gateway-0");
        Member b = member("gateway-0");
        assertExclusive(a, b);

        // A lease under the holder's own name but another process's token, as a twin's would look: only the token
        // tells the holder, at its next renewal, that the lease is not its own any more.
        boolean aHolds = a.holds(0);
        Member holder = aHolds ? a : b;
        Member twin = aHolds ? b : a;
        kv().claims().put(key(0), "{\"owner\":\"gateway-0\",\"token\":\"another-process\"}".getBytes(StandardCharsets.UTF_8));
        await().atMost(Duration.ofSeconds(1)).until(() -> holder.events.lost.containsKey(0));
        assertTrue(holder.events.lost.get(0).startsWith("claim taken over by gateway-0"), holder.events.lost.get(0));
        assertFalse(holder.holds(0) || twin.holds(0), "nobody holds a lease written by a third process");
        await().atMost(TTL.plus(RENEW_EVERY).plusSeconds(2)).until(() -> holder.holds(0) || twin.holds(0));
        assertOneHolderFor(RENEW_EVERY.multipliedBy(2), List.of(0), a, b);

        // A held key deleted by someone else: its holder lets go at once instead of at its next renewal.
        Member next = a.holds(0) ? a : b;
        holder.events.lost.clear();
        twin.events.lost.clear();
        kv().claims().delete(key(0));
        await().atMost(Duration.ofSeconds(1)).until(() -> next.events.lost.containsKey(0));
        // Read back at once: gone, or already taken by the twin that heard the deletion too.
        assertTrue(next.events.lost.get(0).startsWith("claim deleted")
                || next.events.lost.get(0).startsWith("claim taken over by gateway-0"), next.events.lost.get(0));
        await().atMost(Duration.ofSeconds(2)).until(() -> a.holds(0) || b.holds(0));
        assertOneHolderFor(RENEW_EVERY.multipliedBy(2), List.of(0), a, b);
    }

    @Test
    void aReleasedShardIsTakenByTheWaitingManagerAtOnce() throws Exception {
        // A long TTL, so that neither the lease's expiry (15 s at least) nor the waiting manager's next poll (up to
        // its renewal period, 5 s) could pass for the hand-over.
        Duration ttl = Duration.ofSeconds(20);
        Member a = member("gateway-0", ttl);
        a.leases.start(List.of(0));
        await().atMost(Duration.ofSeconds(5)).until(() -> a.holds(0));
        Member b = member("gateway-1", ttl);
        b.leases.start(List.of(0));
        await().atMost(Duration.ofSeconds(5)).until(() -> b.leases.ownerOf(0).equals(Optional.of("gateway-0")));

        a.leases.stopAcquiring(); // as at SIGTERM, so that the releasing manager does not take the shard back
        long releasedAt = System.nanoTime();
        a.leases.release(0);
        assertFalse(a.holds(0));
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).until(() -> b.holds(0));
        Duration handover = Duration.ofNanos(b.events.acquiredAt.get(0) - releasedAt);
        assertTrue(handover.compareTo(Duration.ofSeconds(1)) < 0, "hand-over took " + handover);
    }

    @Test
    void aCrashedHoldersShardIsTakenOnlyOnceItsLeaseExpired() throws Exception {
        AtomicLong lastWrite = watchLeaseWrites("gateway-0");
        Member a = member("gateway-0");
        a.leases.start(List.of(0));
        Member b = member("gateway-1");
        b.leases.start(List.of(0));
        await().atMost(Duration.ofSeconds(5)).until(() -> b.leases.ownerOf(0).equals(Optional.of("gateway-0")));

        a.crash();
        await().atMost(TTL.plus(RENEW_EVERY).plusSeconds(3)).pollInterval(Duration.ofMillis(10)).until(() -> b.holds(0));
        Duration waited = Duration.ofNanos(b.events.acquiredAt.get(0) - lastWrite.get());
        // The server drops a's lease a TTL after its last renewal; b looks for it once per renewal period.
        assertTrue(waited.compareTo(TTL.minusMillis(200)) >= 0, "taken " + waited + " after the last renewal");
        assertTrue(waited.compareTo(TTL.plus(RENEW_EVERY).plusSeconds(1)) <= 0,
                "taken only " + waited + " after the last renewal");
    }

    @Test
    void aHolderCutOffFromNatsLetsGoBeforeItsLeaseCouldExpire() throws Exception {
        AtomicLong lastWrite = watchLeaseWrites("gateway-0");
        Member a = member("gateway-0");
        a.leases.start(List.of(0));
        await().atMost(Duration.ofSeconds(5)).until(() -> a.holds(0) && lastWrite.get() != 0);

        server.stop();
        await().atMost(TTL).pollInterval(Duration.ofMillis(5)).until(() -> !a.holds(0));
        Duration heldFor = Duration.ofNanos(System.nanoTime() - lastWrite.get());
        // The server would hand the key to another instance a TTL after the last renewal it stored; the margin
        // keeps this well before that even when the observer heard of the renewal late.
        assertTrue(heldFor.compareTo(TTL.minusMillis(500)) < 0, "held " + heldFor + " after the last renewal");
        await().atMost(Duration.ofSeconds(1)).until(() -> a.events.lost.containsKey(0));
        assertTrue(a.events.lost.get(0).startsWith("lease not renewed within"), a.events.lost.get(0));
    }

    @Test
    void aGarbageClaimIsTakenOverWithoutBreakingTheManager() throws Exception {
        kv().claims().put(key(0), new byte[] {0, 'n', 'o', 't', ' ', '{'});
        Member a = member("gateway-0");
        a.leases.start(List.of(0));

        // A claim that names no lease cannot belong to a live instance: taken on its revision, not waited out.
        await().atMost(Duration.ofSeconds(3)).until(() -> a.holds(0));
        assertEquals(Optional.of("gateway-0"), a.leases.ownerOf(0));
        assertEquals("gateway-0", ownerIn(kv().claims().get(key(0)).getValue()), "the claim now names its taker");
    }

    @Test
    void atRestOnlyOneLeasePerProcessIsWrittenNothingPerShard() throws Exception {
        List<Integer> many = IntStream.range(0, 64).boxed().toList();
        Member a = member("gateway-0");
        a.leases.start(many);
        await().atMost(Duration.ofSeconds(5)).until(() -> many.stream().allMatch(a::holds));

        AtomicInteger leaseWrites = new AtomicInteger();
        AtomicInteger claimWrites = new AtomicInteger();
        Connection observer = connect();
        observer.createDispatcher(msg -> leaseWrites.incrementAndGet())
                .subscribe("$KV." + FleetBuckets.LEASES + ".>");
        observer.createDispatcher(msg -> claimWrites.incrementAndGet())
                .subscribe("$KV." + FleetBuckets.CLAIMS + ".>");
        observer.flush(Duration.ofSeconds(1));
        Thread.sleep(RENEW_EVERY.multipliedBy(4).toMillis());

        assertTrue(leaseWrites.get() >= 3 && leaseWrites.get() <= 5,
                leaseWrites.get() + " lease writes in 4 renewal periods (one lease, renewed each period)");
        assertEquals(0, claimWrites.get(), "claims are written when taken or released, never to renew them");
        assertTrue(many.stream().allMatch(a::holds));
    }

    @Test
    void aHolderWhoseLeaseIsGoneTakesItsShardsBackUnderANewOneNeverBesideAnother() throws Exception {
        Member a = member("gateway-0");
        a.leases.start(SHARDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> SHARDS.stream().allMatch(a::holds));
        Member b = member("gateway-1");
        b.leases.start(SHARDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> b.leases.ownerOf(0).equals(Optional.of("gateway-0")));

        // a's lease removed from under it (as an operator could, or as expiry does after a pause): a's shards are
        // lost at once and taken again by whoever is first, a under its new lease or b, one holder per shard.
        String leaseKey = kv().leases().keys().stream().filter(k -> k.startsWith(PREFIX + ".instance.")).findFirst()
                .orElseThrow();
        kv().leases().delete(leaseKey);
        await().atMost(Duration.ofSeconds(2)).until(() -> a.events.lost.size() == SHARDS.size());
        // Its own deletion heard, or b's take-over of a claim whose lease is gone: either way a let go first.
        assertTrue(a.events.lost.get(0).startsWith("this process's lease was deleted")
                || a.events.lost.get(0).startsWith("claim taken over by gateway-1"), a.events.lost.get(0));
        assertOneHolderFor(RENEW_EVERY.multipliedBy(4), SHARDS, a, b);
        for (int shard : SHARDS) {
            assertTrue(a.holds(shard) || b.holds(shard), "nobody holds shard " + shard);
        }
    }

    /**
     * Both start at once, so they race for every shard, and keep renewing for a few periods: never two holders of a
     * shard, and in the end every shard has one holder whom both managers name.
     */
    private static void assertExclusive(Member a, Member b) throws InterruptedException {
        a.leases.start(SHARDS);
        b.leases.start(SHARDS);
        assertOneHolderFor(RENEW_EVERY.multipliedBy(3), SHARDS, a, b);
        for (int shard : SHARDS) {
            Member holder = a.holds(shard) ? a : b;
            assertTrue(holder.holds(shard), "nobody holds shard " + shard);
            assertEquals(Optional.of(holder.id), a.leases.ownerOf(shard), "shard " + shard + " as the first sees it");
            assertEquals(Optional.of(holder.id), b.leases.ownerOf(shard), "shard " + shard + " as the second sees it");
        }
    }

    /** Samples both managers every few milliseconds for {@code period}: never may both hold one of {@code shards}. */
    private static void assertOneHolderFor(Duration period, List<Integer> shards, Member a, Member b)
            throws InterruptedException {
        long end = System.nanoTime() + period.toNanos();
        while (System.nanoTime() < end) {
            for (int shard : shards) {
                assertFalse(a.holds(shard) && b.holds(shard), "both hold shard " + shard);
            }
            Thread.sleep(2);
        }
    }

    /** When this test last saw {@code owner} write its lease (created or renewed). */
    private AtomicLong watchLeaseWrites(String owner) throws Exception {
        AtomicLong at = new AtomicLong();
        Connection observer = connect();
        observer.createDispatcher(msg -> {
            if (owner.equals(ownerIn(msg.getData()))) {
                at.set(System.nanoTime());
            }
        }).subscribe("$KV." + FleetBuckets.LEASES + "." + PREFIX + ".instance.*");
        observer.flush(Duration.ofSeconds(1));
        return at;
    }

    private static String ownerIn(byte[] data) {
        try {
            return JSON.readTree(data).path("owner").asText();
        } catch (IOException e) {
            return null;
        }
    }

    private Member member(String id) throws Exception {
        return member(id, TTL);
    }

    /** A manager on a connection of its own; {@code ttl} is the lease bucket's, set by the test's first manager. */
    private Member member(String id, Duration ttl) throws Exception {
        Connection nats = connect();
        Events events = new Events();
        LeaseManager leases = new LeaseManager(nats, FleetBuckets.open(nats, ttl, SESSION_TTL, 1), PREFIX, id,
                System::nanoTime, events, new SimpleMeterRegistry());
        opened.add(leases);
        return new Member(id, nats, leases, events);
    }

    private FleetBuckets kv() throws Exception {
        return FleetBuckets.open(connect(), TTL, SESSION_TTL, 1);
    }

    private Connection connect() throws IOException, InterruptedException {
        Connection nats = Nats.connect(Options.builder().server(server.url()).maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(100)).build());
        opened.add(nats);
        return nats;
    }

    private static String key(int shard) {
        return PREFIX + ".shard." + shard;
    }

    /** One proxy instance: its own connection, lease manager and record of what its listener heard. */
    private record Member(String id, Connection nats, LeaseManager leases, Events events) {
        boolean holds(int shard) {
            return leases.holds(shard);
        }

        /** Dies without a release: the lease is only renewed no more. */
        void crash() throws InterruptedException {
            leases.close();
            nats.close();
        }
    }

    private static final class Events implements LeaseManager.Listener {
        final Map<Integer, Long> acquiredAt = new ConcurrentHashMap<>();
        final Map<Integer, String> lost = new ConcurrentHashMap<>();

        @Override
        public void acquired(int shard) {
            acquiredAt.put(shard, System.nanoTime());
        }

        @Override
        public void lost(int shard, String why) {
            lost.put(shard, why);
        }
    }
}
