package dev.shardgate.simulator.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.simulator.GatewayTestClient;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.testkit.ManualClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Identify records and buckets go by when the server read the Identify off the socket, not by when the gateway
 * loop got to it: a loop busy sending (a burst, a big GUILD_CREATE) must not move identifies across the 5 s line.
 * Each test holds the loop, lets the server read an Identify, moves the clock, then lets the loop go.
 */
@Tag("process")
class IdentifyReceiptTimeTest {
    private static final Instant T0 = Instant.parse("2026-08-07T09:30:00Z");

    private final ReadCountingClock clock = new ReadCountingClock(T0);
    private Simulator sim;

    @BeforeEach
    void start() {
        // One bucket for both shards, so their identifies must be 5 s apart.
        sim = Simulator.builder().shards(2).maxConcurrency(1).guildsPerShard(0).clock(clock).start();
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    @Test
    void anIdentifyReadInsideTheWindowIsRefusedThoughTheLoopGetsToItAfterward() throws Exception {
        GatewayTestClient first = GatewayTestClient.zlib(sim.gateway().url());
        GatewayTestClient second = GatewayTestClient.zlib(sim.gateway().url());
        first.identifyReady("sim-token", 0, 2);
        second.next(10, null);
        clock.advance(Duration.ofSeconds(4));
        Instant readAt = clock.instant();

        CountDownLatch release = holdLoop();
        try {
            long reads = clock.reads();
            second.identify("sim-token", 1, 2, 513);
            // Only the websocket server reads the clock while the loop is held: it has read the Identify.
            await().until(() -> clock.reads() > reads);
            clock.advance(Duration.ofSeconds(2));
        } finally {
            release.countDown();
        }

        assertFalse(second.next(9, null).get("d").asBoolean());
        IdentifyRecord refused = sim.gateway().identifies().getLast();
        assertEquals(IdentifyRecord.Outcome.CONCURRENCY_LIMITED, refused.outcome());
        assertEquals(readAt, refused.at());
        assertEquals(0, refused.bucket());
        assertEquals(T0, sim.gateway().identifies().getFirst().at());
    }

    @Test
    void anIdentifyReadAfterTheWindowIsAcceptedThoughTheLoopWasLateForThePreviousOne() throws Exception {
        GatewayTestClient first = GatewayTestClient.zlib(sim.gateway().url());
        GatewayTestClient second = GatewayTestClient.zlib(sim.gateway().url());
        first.next(10, null);
        second.next(10, null);

        CountDownLatch release = holdLoop();
        try {
            long reads = clock.reads();
            first.identify("sim-token", 0, 2, 513);
            await().until(() -> clock.reads() > reads);
            clock.advance(Duration.ofSeconds(1));
        } finally {
            release.countDown();
        }
        first.nextDispatch("READY");
        assertEquals(T0, sim.gateway().identifies().getFirst().at());

        clock.advance(Duration.ofSeconds(4)); // 5 s after the first Identify was read, 4 s after the loop saw it
        second.identify("sim-token", 1, 2, 513);
        second.nextDispatch("READY");
        assertEquals(IdentifyRecord.Outcome.ACCEPTED, sim.gateway().identifies().getLast().outcome());
        assertEquals(T0.plusSeconds(5), sim.gateway().identifies().getLast().at());
    }

    /** Occupies the gateway loop until the returned latch is counted down. */
    private CountDownLatch holdLoop() throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        sim.gateway().runOnLoop(() -> {
            held.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(held.await(GatewayTestClient.WAIT.toSeconds(), TimeUnit.SECONDS), "the loop never ran the hold");
        return release;
    }

    /** Virtual time that counts how often it was read, so a test can see that the server looked at it. */
    private static final class ReadCountingClock extends Clock {
        private final ManualClock time;
        private final AtomicLong reads = new AtomicLong();

        ReadCountingClock(Instant start) {
            this.time = new ManualClock(start);
        }

        void advance(Duration d) {
            time.advance(d);
        }

        long reads() {
            return reads.get();
        }

        @Override
        public Instant instant() {
            reads.incrementAndGet();
            return time.instant();
        }

        @Override
        public ZoneId getZone() {
            return time.getZone();
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException("tests use UTC");
        }
    }
}
