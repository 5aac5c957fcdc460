package dev.shardgate.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.proxy.rest.LogCapture;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.DispatchRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.nats.client.Connection;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Issue 8's bad input, against the simulator over zlib-stream and a real nats-server: a 20 MB frame (taken whole,
 * or refused when it is over {@code GATEWAY_MAX_FRAME_BYTES}), a burst of 50,000 events on one shard with a publish
 * buffer of 5,000, and a NATS behind a slow link. In each case memory is bounded by a setting the test pins
 * (docs/gateway-proxy.md, "Bad input"), the log says what happens, and at the end the stream holds the simulator's
 * ledger exactly once.
 */
@Tag("process")
class BadInputLoadTest {
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final int TWENTY_MB = 20 << 20;
    private static final String BUCKET = "DISCORD_EVENTS_LARGE";

    @Test
    void a20MbDispatchGoesWholeToTheObjectStoreWhileTheShardStaysLive() throws Exception {
        try (ProxyHarness h = new ProxyHarness(Simulator.builder().shards(1).maxConcurrency(1));
                LogCapture log = new LogCapture()) {
            GatewayProxy proxy = h.start();
            ProxyHarness.awaitReady(proxy);
            h.sim.gateway().burst(0, 20);
            assertEquals(1, h.sim.gateway().dispatch(0, "GUILD_CREATE", guildOfAbout(TWENTY_MB)));
            h.sim.gateway().burst(0, 20);

            awaitStreamEqualsLedger(h);
            assertEquals(1, count(proxy, "shardgate_publish_large_events"));
            assertEquals(0, count(proxy, "shardgate_reconnects"), "the shard never left its connection");
            assertEquals(List.of(), h.sim.gateway().resumes());
            assertEquals(1, h.sim.gateway().identifies().size());
            assertTrue(log.lines().stream().anyMatch(l -> l.startsWith("created object store bucket " + BUCKET)),
                    "the log says where large bodies go");
        }
    }

    /**
     * A payload over the limit is refused before it is inflated any further, and the shard resumes. Discord replays
     * it on every resume, so the shard cannot get past it (it retries with a growing backoff) until a proxy with a
     * larger limit takes over: then it is stored with everything after it.
     */
    @Test
    void aFrameOverTheLimitIsRefusedWithAWarningAndALargerLimitLaterGetsItAll() throws Exception {
        try (ProxyHarness h = new ProxyHarness(Simulator.builder().shards(1).maxConcurrency(1));
                LogCapture log = new LogCapture()) {
            Map<String, String> env = h.env();
            env.put("GATEWAY_MAX_FRAME_BYTES", Integer.toString(8 << 20));
            GatewayProxy small = h.start(env);
            ProxyHarness.awaitReady(small);
            h.sim.gateway().burst(0, 20);
            assertEquals(1, h.sim.gateway().dispatch(0, "GUILD_CREATE", guildOfAbout(TWENTY_MB)));
            h.sim.gateway().burst(0, 20);

            await().atMost(PATIENCE).until(() -> count(small, "shardgate_reconnects", "reason", "oversized_frame") >= 2);
            assertTrue(log.warnings().stream().anyMatch(l -> l.startsWith("shard 0: inflated payload larger than "
                    + (8 << 20) + " bytes") && l.contains("raise GATEWAY_MAX_FRAME_BYTES")), log.warnings().toString());
            assertTrue(h.sim.gateway().resumes().size() >= 1, "a refusal resumes the session");
            small.close();

            GatewayProxy large = h.start();
            ProxyHarness.awaitReady(large);
            awaitStreamEqualsLedger(h);
            assertEquals(1, h.sim.gateway().identifies().size(), "the session was resumed, never identified anew");
        }
    }

    /**
     * Unslowed, JetStream here stores the burst about as fast as the simulator sends it and the buffer never fills;
     * so the link to NATS is slowed while the burst arrives, until the shard has had to stop reading.
     */
    @Test
    void aBurstOf50000EventsIsTakenInBufferSizedStepsWithoutAZombie() throws Exception {
        int burst = 50_000;
        int buffer = 5_000;
        try (ProxyHarness h = new ProxyHarness(Simulator.builder().shards(1).maxConcurrency(1)
                .replayCapacity(burst + 100).ledgerCapacity(burst + 100));
                ThrottledRelay relay = new ThrottledRelay(h.nats.port());
                LogCapture log = new LogCapture()) {
            GatewayProxy proxy = h.start(throughRelay(h, relay, buffer));
            ProxyHarness.awaitReady(proxy);
            BufferWatch watch = new BufferWatch(proxy);

            relay.throttle(256 * 1024);
            assertEquals(burst, h.sim.gateway().burst(0, burst));
            await().atMost(PATIENCE).pollInterval(Duration.ofMillis(20)).until(() -> {
                watch.sample();
                return count(proxy, "shardgate_reconnects", "reason", "backpressure") >= 1;
            });
            relay.throttle(0);
            awaitStreamEqualsLedger(h, watch);

            assertTrue(watch.maxEvents() <= buffer, "the buffer held " + watch.maxEvents() + " events");
            assertTrue(h.sim.gateway().resumes().size() >= 1, "the rest of the burst came as a resume's replay");
            assertEquals(0, count(proxy, "shardgate_reconnects", "reason", "zombie"));
            assertEquals(1, h.sim.gateway().identifies().size());
            assertTrue(log.warnings().stream().anyMatch(l -> l.contains("publish buffer full; resuming once it drains")),
                    log.warnings().toString());
            proxy.close(); // while the relay still runs, so its hand-over reaches NATS
        }
    }

    @Test
    void aSlowNatsMakesTheShardWaitWithinTheBufferAndLosesNothing() throws Exception {
        int buffer = 300;
        try (ProxyHarness h = new ProxyHarness(Simulator.builder().shards(1).maxConcurrency(1)
                .eventsPerSecondPerShard(200).replayCapacity(20_000).ledgerCapacity(20_000));
                ThrottledRelay relay = new ThrottledRelay(h.nats.port());
                LogCapture log = new LogCapture()) {
            GatewayProxy proxy = h.start(throughRelay(h, relay, buffer));
            ProxyHarness.awaitReady(proxy);
            BufferWatch watch = new BufferWatch(proxy);

            relay.throttle(32 * 1024);
            await().atMost(PATIENCE).pollInterval(Duration.ofMillis(20)).until(() -> {
                watch.sample();
                return count(proxy, "shardgate_reconnects", "reason", "backpressure") >= 2;
            });
            relay.throttle(0);
            h.sim.events().rate(0);
            awaitStreamEqualsLedger(h, watch);

            assertTrue(watch.maxEvents() <= buffer, "the buffer held " + watch.maxEvents() + " events");
            assertEquals(0, count(proxy, "shardgate_reconnects", "reason", "zombie"));
            assertEquals(1, h.sim.gateway().identifies().size());
            List<String> warnings = log.warnings();
            assertTrue(warnings.stream().anyMatch(l -> l.contains("publish buffer full; resuming once it drains")),
                    warnings.toString());
            long waits = warnings.stream().filter(l -> l.contains("waiting for NATS to catch up")).count();
            assertTrue(waits <= count(proxy, "shardgate_reconnects", "reason", "backpressure"),
                    "one line per wait for room, not one per poll: " + warnings);
            proxy.close(); // while the relay still runs, so its hand-over reaches NATS
        }
    }

    private static Map<String, String> throughRelay(ProxyHarness h, ThrottledRelay relay, int publishBuffer) {
        Map<String, String> env = h.env();
        env.put("NATS_URL", relay.url());
        env.put("PUBLISH_BUFFER", Integer.toString(publishBuffer));
        return env;
    }

    /** The highest publish-buffer gauge seen, sampled whenever a wait polls. */
    private static final class BufferWatch {
        private final Gauge events;
        private final AtomicLong maxEvents = new AtomicLong();

        BufferWatch(GatewayProxy proxy) {
            events = proxy.registry().get("shardgate_publish_buffer").gauge();
        }

        void sample() {
            maxEvents.accumulateAndGet((long) events.value(), Math::max);
        }

        long maxEvents() {
            return maxEvents.get();
        }
    }

    private static void awaitStreamEqualsLedger(ProxyHarness h) throws Exception {
        awaitStreamEqualsLedger(h, null);
    }

    /** Waits until the stream holds as many events as the ledger, then checks it holds each exactly once. */
    private static void awaitStreamEqualsLedger(ProxyHarness h, BufferWatch watch) throws Exception {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (watch != null) {
                watch.sample();
            }
            return h.storedCount() >= h.sim.gateway().ledger().size();
        });
        assertEquals(0, h.sim.gateway().ledgerDropped(), "the ledger kept every dispatch");
        List<DispatchRecord> ledger = h.sim.gateway().ledger();
        Map<String, Message> byId = new HashMap<>();
        for (Message m : readStream(h.client, h.storedCount())) {
            String id = m.getHeaders().getFirst(EventHeaders.MSG_ID);
            assertNull(byId.put(id, m), "stored twice: " + id);
        }
        for (DispatchRecord r : ledger) {
            Message m = byId.get(EventHeaders.messageId(r.shardId(), r.sessionId(), r.seq()));
            assertNotNull(m, "missing " + r.shardId() + ":" + r.seq() + " " + r.type());
            assertEquals("discord.events." + r.shardId() + "." + r.type(), m.getSubject());
            assertArrayEquals(r.d(), body(h.client, m), "body of " + r.seq() + " " + r.type());
        }
        assertEquals(ledger.size(), byId.size());
    }

    /** Every message of the event stream, through an ordered consumer (one round trip per batch, not per message). */
    private static List<Message> readStream(Connection client, long count) throws Exception {
        JetStreamSubscription sub = client.jetStream().subscribe("discord.events.>",
                PushSubscribeOptions.builder().stream("DISCORD_EVENTS").ordered(true).build());
        List<Message> out = new ArrayList<>();
        try {
            Message m;
            while (out.size() < count && (m = sub.nextMessage(Duration.ofSeconds(10))) != null) {
                out.add(m);
            }
        } finally {
            sub.unsubscribe();
        }
        return out;
    }

    /** The event's body: the message's own, or the object store's when the message points there. */
    private static byte[] body(Connection client, Message m) throws Exception {
        String object = m.getHeaders().getFirst(EventHeaders.OBJECT);
        if (object == null) {
            return m.getData() == null ? new byte[0] : m.getData();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        client.objectStore(BUCKET).get(object, out);
        return out.toByteArray();
    }

    /** A GUILD_CREATE-like {@code d} of about {@code size} bytes of valid JSON whose members all differ. */
    private static String guildOfAbout(int size) {
        StringBuilder json = new StringBuilder(size + 64).append("{\"id\":\"1\",\"members\":[");
        for (long i = 0; json.length() < size; i++) {
            json.append(i == 0 ? "" : ",").append("{\"user\":{\"id\":\"").append(100_000_000_000L + i * 7919)
                    .append("\"},\"nick\":null}");
        }
        return json.append("]}").toString();
    }

    private static double count(GatewayProxy proxy, String name, String... tags) {
        return proxy.registry().find(name).tags(tags).counters().stream().mapToDouble(Counter::count).sum();
    }

    /**
     * A TCP relay in front of nats-server whose proxy-to-server direction can be capped to a number of bytes per
     * second: a slow link to NATS. Threads: one virtual thread accepts, two per connection copy.
     */
    private static final class ThrottledRelay implements AutoCloseable {
        private static final int CHUNK = 4096;
        private final ServerSocket server;
        private final int upstreamPort;
        private final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** Bytes per second towards nats-server; 0 means unthrottled. */
        private volatile long bytesPerSecond;

        ThrottledRelay(int upstreamPort) throws IOException {
            this.upstreamPort = upstreamPort;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread.ofVirtual().name("relay-accept").start(this::accept);
        }

        String url() {
            return "nats://127.0.0.1:" + server.getLocalPort();
        }

        void throttle(long perSecond) {
            bytesPerSecond = perSecond;
        }

        private void accept() {
            try {
                while (true) {
                    Socket client = server.accept();
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), upstreamPort);
                    sockets.add(client);
                    sockets.add(upstream);
                    Thread.ofVirtual().name("relay-up").start(() -> copy(client, upstream, true));
                    Thread.ofVirtual().name("relay-down").start(() -> copy(upstream, client, false));
                }
            } catch (IOException closed) {
                // the relay is closed
            }
        }

        private void copy(Socket from, Socket to, boolean throttled) {
            byte[] buf = new byte[CHUNK];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) != -1) {
                    out.write(buf, 0, n);
                    long rate = bytesPerSecond;
                    if (throttled && rate > 0) {
                        Thread.sleep(Duration.ofNanos(n * 1_000_000_000L / rate)); // the link's pace
                    }
                }
            } catch (IOException | InterruptedException gone) {
                // one side closed: close both
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }

        private static void closeQuietly(Socket s) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            sockets.forEach(ThrottledRelay::closeQuietly);
        }
    }
}
