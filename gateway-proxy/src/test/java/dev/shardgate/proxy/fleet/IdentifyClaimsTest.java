package dev.shardgate.proxy.fleet;

import static dev.shardgate.proxy.gateway.IdentifyCoordinator.Claim.BUCKET_BUSY;
import static dev.shardgate.proxy.gateway.IdentifyCoordinator.Claim.BUDGET_LOW;
import static dev.shardgate.proxy.gateway.IdentifyCoordinator.Claim.GRANTED;
import static dev.shardgate.proxy.gateway.IdentifyCoordinator.Claim.UNAVAILABLE;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.proxy.discovery.GatewayBot.SessionStartLimit;
import dev.shardgate.testkit.NatsServerProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The fleet's identify claims on a real nats-server, between instances on connections of their own: a
 * {@code max_concurrency} bucket is granted once per 5 s window whoever asks, buckets are independent, the one
 * session-start budget is spent by every instance and never below the reserve, and without NATS nobody identifies.
 */
@Tag("process")
class IdentifyClaimsTest {
    private static final AtomicInteger BOTS = new AtomicInteger();

    private static NatsServerProcess server;
    private static Connection first;
    private static Connection second;
    /** Each test is a bot of its own: its own bucket keys and budget. */
    private String prefix;
    /** How often the instances read the budget from Discord. */
    private final AtomicInteger discordReads = new AtomicInteger();

    @BeforeAll
    static void startNats() throws Exception {
        server = NatsServerProcess.start();
        first = connect(server);
        second = connect(server);
    }

    @AfterAll
    static void stopNats() throws InterruptedException {
        first.close();
        second.close();
        server.close();
    }

    @BeforeEach
    void newBot() {
        prefix = "idtest" + BOTS.incrementAndGet();
    }

    @Test
    void aBucketIsGrantedOncePerWindowWhicheverInstanceAsks() throws Exception {
        IdentifyClaims a = claims(first, "gateway-0", 0, 1000);
        IdentifyClaims b = claims(second, "gateway-1", 0, 1000);
        assertEquals(GRANTED, a.claim(0));
        long grantedAt = System.nanoTime();
        assertEquals(BUCKET_BUSY, b.claim(0));
        assertEquals(BUCKET_BUSY, a.claim(0));

        AtomicLong againAt = new AtomicLong();
        await().atMost(FleetBuckets.IDENTIFY_WINDOW.plusSeconds(3)).pollInterval(Duration.ofMillis(50)).until(() -> {
            boolean granted = b.claim(0) == GRANTED;
            againAt.set(System.nanoTime());
            return granted;
        });
        Duration apart = Duration.ofNanos(againAt.get() - grantedAt);
        assertTrue(apart.compareTo(Duration.ofSeconds(5)) >= 0, "two identifies of a bucket " + apart + " apart");
        assertTrue(apart.compareTo(FleetBuckets.IDENTIFY_WINDOW.plusSeconds(1)) <= 0,
                "granted again only " + apart + " later");
    }

    @Test
    void aLateSendRestartsTheBucketsWindowForEveryInstance() throws Exception {
        IdentifyClaims a = claims(first, "gateway-0", 0, 1000);
        IdentifyClaims b = claims(second, "gateway-1", 0, 1000);
        assertEquals(GRANTED, a.claim(0));
        Thread.sleep(1_000); // the identify left a second after its grant
        a.sent(0);
        long sentAt = System.nanoTime();
        Thread.sleep(FleetBuckets.IDENTIFY_WINDOW.toMillis() - 800); // past the grant's window, not the send's
        assertEquals(BUCKET_BUSY, b.claim(0), "the window runs from the send");

        await().atMost(Duration.ofSeconds(3)).pollInterval(Duration.ofMillis(50)).until(() -> b.claim(0) == GRANTED);
        Duration apart = Duration.ofNanos(System.nanoTime() - sentAt);
        assertTrue(apart.compareTo(Duration.ofSeconds(5)) >= 0, "granted " + apart + " after the send");
    }

    @Test
    void aClaimConfirmedLateIsUsedAndItsWindowStillRunsFromTheSend() throws Exception {
        // Every reading of this ticker is 100 ms after the last: the claim's confirmation took 100 ms.
        AtomicLong slowTicker = new AtomicLong();
        IdentifyClaims a = claims(first, "gateway-0", 0, 1000, () -> slowTicker.addAndGet(100_000_000));
        IdentifyClaims b = claims(second, "gateway-1", 0, 1000);
        assertEquals(GRANTED, a.claim(0), "a slow NATS slows an identify; it does not cost the bucket its round");
        a.sent(0);
        long sentAt = System.nanoTime();
        assertEquals(BUCKET_BUSY, b.claim(0));
        await().atMost(FleetBuckets.IDENTIFY_WINDOW.plusSeconds(3)).pollInterval(Duration.ofMillis(50))
                .until(() -> b.claim(0) == GRANTED);
        Duration apart = Duration.ofNanos(System.nanoTime() - sentAt);
        assertTrue(apart.compareTo(Duration.ofSeconds(5)) >= 0, "granted " + apart + " after the send");
    }

    @Test
    void bucketsAreIndependent() throws Exception {
        IdentifyClaims a = claims(first, "gateway-0", 0, 1000);
        IdentifyClaims b = claims(second, "gateway-1", 0, 1000);
        assertEquals(List.of(GRANTED, GRANTED, GRANTED), List.of(a.claim(0), b.claim(1), a.claim(2)));
        assertEquals(List.of(BUCKET_BUSY, BUCKET_BUSY), List.of(a.claim(1), b.claim(2)), "each is taken now");
    }

    @Test
    void instancesSpendOneBudgetAndStopAtTheReserve() throws Exception {
        IdentifyClaims a = claims(first, "gateway-0", 2, 5);
        IdentifyClaims b = claims(second, "gateway-1", 2, 5);
        assertEquals(-1, a.remaining(), "nothing read yet");

        // Five starts left, two of them the reserve: three identifies in all, whichever instance makes them.
        assertEquals(List.of(GRANTED, GRANTED, GRANTED, BUDGET_LOW, BUDGET_LOW),
                List.of(a.claim(0), b.claim(1), a.claim(2), b.claim(3), a.claim(4)));
        assertEquals(2, a.remaining());
        assertEquals(2, b.remaining());
        assertEquals(1, discordReads.get(), "the second instance counts on from the shared budget");
    }

    @Test
    void withoutNatsNobodyIdentifies() throws Exception {
        try (NatsServerProcess own = NatsServerProcess.start()) {
            Connection nats = connect(own);
            try {
                IdentifyClaims claims = claims(nats, "gateway-0", 0, 1000);
                own.stop();
                assertEquals(UNAVAILABLE, claims.claim(0));
                own.restart();
                await().atMost(Duration.ofSeconds(15)).until(() -> claims.claim(0) == GRANTED);
            } finally {
                nats.close();
            }
        }
    }

    /** An instance whose {@code /gateway/bot} always answers {@code remaining} of 1000 session starts. */
    private IdentifyClaims claims(Connection nats, String instanceId, int reserve, int remaining) throws Exception {
        return claims(nats, instanceId, reserve, remaining, System::nanoTime);
    }

    private IdentifyClaims claims(Connection nats, String instanceId, int reserve, int remaining, LongSupplier ticker)
            throws Exception {
        SessionStartLimit discord = new SessionStartLimit(1000, remaining, Duration.ofHours(1), 16);
        return new IdentifyClaims(FleetBuckets.open(nats, Duration.ofSeconds(2), Duration.ofMinutes(5), 1), prefix,
                instanceId, reserve, discord, () -> {
                    discordReads.incrementAndGet();
                    return discord;
                }, Clock.systemUTC(), ticker, new SimpleMeterRegistry());
    }

    private static Connection connect(NatsServerProcess server) throws Exception {
        return Nats.connect(Options.builder().server(server.url()).maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(100)).build());
    }
}
