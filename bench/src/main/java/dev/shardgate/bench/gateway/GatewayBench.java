package dev.shardgate.bench.gateway;

import dev.shardgate.protocol.EnvelopeReader;
import dev.shardgate.protocol.GatewayFrame;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.proxy.GatewayProxy;
import dev.shardgate.config.ConfigSource;
import dev.shardgate.proxy.config.ProxyConfig;
import dev.shardgate.proxy.gateway.inflate.ZlibStreamInflater;
import dev.shardgate.proxy.publish.EventPublisher;
import dev.shardgate.proxy.publish.PublisherSettings;
import dev.shardgate.proxy.publish.EventStream;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.events.EventFactory;
import dev.shardgate.simulator.events.SimEvent;
import dev.shardgate.testkit.NatsServerProcess;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.Deflater;

/**
 * The gateway proxy's event path, on this machine. Not a test: it prints numbers.
 * <ol>
 * <li>Per frame (DESIGN.md): inflate a {@code zlib-stream} message into the reused buffer, read the envelope, and
 * copy {@code d} for the publisher, on realistic MESSAGE_CREATE frames compressed the way Discord does (one deflate
 * stream per connection, a sync flush after each payload). Frames per second and bytes allocated per frame on
 * this thread ({@code com.sun.management.ThreadMXBean#getThreadAllocatedBytes}).</li>
 * <li>End to end: the simulator's gateway through a real {@link GatewayProxy} into JetStream on a local
 * nats-server, everything on this machine: dispatches per second from the first one sent until the last one is
 * acknowledged by JetStream, median of several runs.</li>
 * <li>The publish leg alone: {@link EventPublisher} storing ready-made MESSAGE_CREATE bodies in JetStream, to
 * show the proxy's ceiling apart from the simulator, which shares the machine in run 2.</li>
 * </ol>
 * Run it with {@code scripts/bench-gateway.sh}.
 */
public final class GatewayBench {
    private static final int FRAMES = 20_000;
    private static final int PASSES = 9;
    private static final int SHARDS = 4;
    private static final int EVENTS_PER_SHARD = 5_000;
    private static final int RUNS = 5;
    private static final int PUBLISH_EVENTS = 50_000;
    /** Where results go so that the JIT cannot drop the work. */
    static volatile long sink;

    private GatewayBench() {
    }

    public static void main(String[] args) throws Exception {
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        Arrays.stream(java.util.logging.Logger.getLogger("").getHandlers())
                .forEach(h -> h.setLevel(java.util.logging.Level.WARNING));
        System.out.printf(Locale.ROOT, "Shardgate gateway event-path benchmark (%d cores, Java %s)%n%n",
                Runtime.getRuntime().availableProcessors(), Runtime.version());
        perFrame();
        endToEnd();
        publishLeg();
    }

    // ---- 1. per frame ----

    private static void perFrame() throws Exception {
        List<byte[]> payloads = messageCreateFrames(FRAMES);
        long plain = payloads.stream().mapToLong(p -> p.length).sum();
        List<byte[]> messages = zlibStream(payloads);
        long compressed = messages.stream().mapToLong(m -> m.length).sum();
        System.out.printf(Locale.ROOT, "1. Per frame: %,d MESSAGE_CREATE frames, %,d bytes average (%,d compressed "
                + "in one zlib stream, ratio %.1f)%n", FRAMES, plain / FRAMES, compressed / FRAMES,
                (double) plain / compressed);
        System.out.println();
        System.out.println("| step | frames/s (median of " + PASSES + ") | bytes allocated per frame |");
        System.out.println("|---|---:|---:|");
        for (Step step : Step.values()) {
            List<Double> rates = new ArrayList<>();
            List<Double> allocations = new ArrayList<>();
            run(step, messages); // warm-up
            for (int pass = 0; pass < PASSES; pass++) {
                Measurement m = run(step, messages);
                rates.add(m.framesPerSecond);
                allocations.add(m.bytesPerFrame);
            }
            System.out.printf(Locale.ROOT, "| %s | %,.0f | %,.0f |%n", step.label, median(rates), median(allocations));
        }
        System.out.println();
    }

    private enum Step {
        INFLATE("inflate into the reused buffer"),
        JACKSON_ENVELOPE("inflate + envelope with a Jackson parser per frame (GatewayFrame.read, before)"),
        ENVELOPE("inflate + envelope in one pass (EnvelopeReader, now)"),
        HAND_OVER("inflate + envelope + copy of d for the publisher (the shard's whole path)");

        final String label;

        Step(String label) {
            this.label = label;
        }
    }

    private record Measurement(double framesPerSecond, double bytesPerFrame) {
    }

    private static Measurement run(Step step, List<byte[]> messages) throws Exception {
        ByteBuffer[] wrapped = messages.stream().map(ByteBuffer::wrap).toArray(ByteBuffer[]::new);
        long checksum = 0;
        EnvelopeReader envelopes = new EnvelopeReader();
        try (ZlibStreamInflater inflater = new ZlibStreamInflater(64 << 20)) {
            com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory
                    .getThreadMXBean();
            long thread = Thread.currentThread().threadId();
            long allocatedBefore = threads.getThreadAllocatedBytes(thread);
            long start = System.nanoTime();
            for (ByteBuffer message : wrapped) {
                int len = inflater.accept(message);
                if (step == Step.INFLATE) {
                    checksum += len;
                    continue;
                }
                GatewayFrame frame = step == Step.JACKSON_ENVELOPE ? GatewayFrame.read(inflater.output(), 0, len)
                        : envelopes.read(inflater.output(), 0, len);
                checksum += frame.seq();
                if (step == Step.HAND_OVER) {
                    checksum += frame.data().length;
                }
            }
            long elapsed = System.nanoTime() - start;
            long allocated = threads.getThreadAllocatedBytes(thread) - allocatedBefore;
            sink = checksum;
            return new Measurement(messages.size() / (elapsed / 1e9), (double) allocated / messages.size());
        }
    }

    /** Whole gateway payloads as Discord sends them, with realistic MESSAGE_CREATE bodies from the simulator. */
    private static List<byte[]> messageCreateFrames(int count) {
        EventFactory events = new EventFactory(Clock.systemUTC());
        SplittableRandom random = new SplittableRandom(1);
        List<byte[]> frames = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long guild = 820674996354555911L + random.nextInt(50) * 4_194_304L;
            SimEvent e = events.messageCreate(guild, chatter(random));
            ByteArrayOutputStream out = new ByteArrayOutputStream(e.d().length + 64);
            out.writeBytes(("{\"t\":\"MESSAGE_CREATE\",\"s\":" + (i + 2) + ",\"op\":0,\"d\":")
                    .getBytes(StandardCharsets.UTF_8));
            out.writeBytes(e.d());
            out.write('}');
            frames.add(out.toByteArray());
        }
        return frames;
    }

    /** A chat message of 1 to 40 words, some of them rare, as people write them. */
    private static String chatter(SplittableRandom random) {
        String[] common = {"the", "a", "is", "to", "and", "lol", "ok", "i", "you", "it", "that", "for", "on", "with",
            "this", "was", "game", "server", "anyone", "today", "patch", "raid", "tonight", "gg", "?", "!ping"};
        StringBuilder sb = new StringBuilder();
        for (int w = 1 + random.nextInt(random.nextInt(4) == 0 ? 40 : 8); w > 0; w--) {
            if (random.nextInt(5) == 0) {
                for (int c = 3 + random.nextInt(8); c > 0; c--) {
                    sb.append((char) ('a' + random.nextInt(26)));
                }
            } else {
                sb.append(common[random.nextInt(common.length)]);
            }
            sb.append(' ');
        }
        return sb.toString().strip();
    }

    /** One deflate stream with a sync flush after every payload, as in discord-gateway.md §3.3. */
    private static List<byte[]> zlibStream(List<byte[]> payloads) {
        Deflater deflater = new Deflater();
        byte[] buf = new byte[256 * 1024];
        List<byte[]> messages = new ArrayList<>(payloads.size());
        for (byte[] p : payloads) {
            deflater.setInput(p);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int n;
            do {
                n = deflater.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
                out.write(buf, 0, n);
            } while (n == buf.length);
            messages.add(out.toByteArray());
        }
        deflater.end();
        return messages;
    }

    // ---- 2. end to end ----

    private static void endToEnd() throws Exception {
        System.out.printf(Locale.ROOT, "2. End to end: simulator gateway -> gateway proxy (%d shards, zlib-stream) -> "
                + "JetStream (file storage, local nats-server), all on this machine%n%n", SHARDS);
        try (NatsServerProcess nats = NatsServerProcess.start();
                Simulator sim = Simulator.builder().token("sim-token").shards(SHARDS).maxConcurrency(SHARDS)
                        .ledgerCapacity(1_000).replayCapacity(EVENTS_PER_SHARD * 2).start();
                Connection client = Nats.connect(nats.url());
                GatewayProxy proxy = GatewayProxy.start(ProxyConfig.from(ConfigSource.of(Map.of(
                        "DISCORD_TOKEN", "sim-token", "DISCORD_API_URL", sim.apiUrl(), "NATS_URL", nats.url(),
                        "ROLES", "gateway", "ADMIN_PORT", "0", "PUBLISH_BUFFER", "100000"))))) {
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (!proxy.isReady()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the proxy did not become ready: " + proxy.shards());
                }
                Thread.sleep(50);
            }
            JetStreamManagement jsm = client.jetStreamManagement();
            System.out.println("| run | dispatches | simulator sent them in | all stored in JetStream after | "
                    + "events/s |");
            System.out.println("|---:|---:|---:|---:|---:|");
            List<Double> rates = new ArrayList<>();
            for (int run = 0; run <= RUNS; run++) {
                long storedBefore = awaitQuiet(jsm);
                long sentBefore = sim.gateway().dispatchesSent();
                long start = System.nanoTime();
                Thread[] senders = new Thread[SHARDS];
                for (int shard = 0; shard < SHARDS; shard++) {
                    int id = shard;
                    senders[shard] = Thread.ofPlatform().start(() -> sim.gateway().burst(id, EVENTS_PER_SHARD));
                }
                for (Thread t : senders) {
                    t.join();
                }
                long sentNanos = System.nanoTime() - start;
                long dispatches = sim.gateway().dispatchesSent() - sentBefore;
                while (stored(jsm) < storedBefore + dispatches) {
                    if (System.nanoTime() - start > Duration.ofMinutes(2).toNanos()) {
                        throw new IllegalStateException("only " + (stored(jsm) - storedBefore) + " of " + dispatches
                                + " stored after 2 minutes");
                    }
                    Thread.sleep(1);
                }
                long storedNanos = System.nanoTime() - start;
                double rate = dispatches / (storedNanos / 1e9);
                if (run == 0) {
                    System.out.printf(Locale.ROOT, "| warm-up | %,d | %,d ms | %,d ms | %,.0f |%n", dispatches,
                            sentNanos / 1_000_000, storedNanos / 1_000_000, rate);
                    continue;
                }
                rates.add(rate);
                System.out.printf(Locale.ROOT, "| %d | %,d | %,d ms | %,d ms | %,.0f |%n", run, dispatches,
                        sentNanos / 1_000_000, storedNanos / 1_000_000, rate);
            }
            System.out.printf(Locale.ROOT, "%nmedian: %,.0f events/s end to end%n", median(rates));
        }
    }

    // ---- 3. publish leg ----

    private static void publishLeg() throws Exception {
        System.out.printf(Locale.ROOT, "%n3. Publish leg alone: EventPublisher -> JetStream (file storage, local "
                + "nats-server), %,d events of ~%d bytes per run%n%n", PUBLISH_EVENTS, 700);
        List<byte[]> bodies = messageCreateFrames(1_000).stream().map(f -> {
            try {
                return GatewayFrame.read(f).data();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
        try (NatsServerProcess nats = NatsServerProcess.start(); Connection client = Nats.connect(nats.url())) {
            Subjects subjects = new Subjects("discord");
            EventStream.ensure(client.jetStreamManagement(), "DISCORD_EVENTS", subjects.allEvents(),
                    Duration.ofHours(1), Duration.ofMinutes(10), 1);
            EventPublisher publisher = new EventPublisher(client, subjects,
                    new PublisherSettings(PUBLISH_EVENTS, 1L << 30, "DISCORD_EVENTS", Duration.ofHours(1), 1),
                    shard -> true, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
            List<Double> rates = new ArrayList<>();
            long seq = 0;
            try {
                for (int run = 0; run <= RUNS; run++) {
                    long start = System.nanoTime();
                    for (int i = 0; i < PUBLISH_EVENTS; i++) {
                        seq++;
                        publisher.offer((int) (seq % SHARDS), "bench", seq, "MESSAGE_CREATE",
                                bodies.get((int) (seq % bodies.size())));
                    }
                    if (!publisher.flush(Duration.ofMinutes(2))) {
                        throw new IllegalStateException(publisher.pending() + " events not stored in 2 minutes");
                    }
                    double rate = PUBLISH_EVENTS / ((System.nanoTime() - start) / 1e9);
                    if (run > 0) {
                        rates.add(rate);
                    }
                }
            } finally {
                publisher.close();
            }
            System.out.printf(Locale.ROOT, "median: %,.0f events/s stored (runs: %s)%n", median(rates),
                    rates.stream().map(r -> String.format(Locale.ROOT, "%,.0f", r)).toList());
        }
    }

    private static long stored(JetStreamManagement jsm) throws Exception {
        return jsm.getStreamInfo("DISCORD_EVENTS").getStreamState().getMsgCount();
    }

    /** Waits until the stream stops growing (the previous run is fully stored). */
    private static long awaitQuiet(JetStreamManagement jsm) throws Exception {
        long last = -1;
        long now = stored(jsm);
        while (now != last) {
            last = now;
            Thread.sleep(200);
            now = stored(jsm);
        }
        return now;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
