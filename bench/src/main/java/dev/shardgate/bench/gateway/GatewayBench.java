package dev.shardgate.bench.gateway;

import dev.shardgate.bench.support.BenchMain;
import dev.shardgate.bench.support.BenchOptions;
import dev.shardgate.bench.support.Fragment;
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
import dev.shardgate.simulator.gateway.ZlibStreamEncoder;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

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
 * Run it with {@code scripts/bench-gateway.sh [--smoke] [--out f.md]}; the smoke run is a tenth of the size. Runs on
 * its main thread (and, in run 2, one sender thread per shard).
 */
public final class GatewayBench {
    private static final int SHARDS = 4;
    /** Where results go so that the JIT cannot drop the work. */
    static volatile long sink;

    private GatewayBench() {
    }

    public static void main(String[] args) {
        BenchMain.run(GatewayBench.class, args, GatewayBench::measure);
    }

    /** How much work each part does: the full run, or a smoke run of a tenth of it. */
    private record Size(int frames, int passes, int eventsPerShard, int runs, int publishEvents) {
        static Size of(BenchOptions options) {
            return options.smoke() ? new Size(2_000, 3, 500, 1, 5_000) : new Size(20_000, 9, 5_000, 5, 50_000);
        }
    }

    private static Fragment measure(BenchOptions options) throws Exception {
        Size size = Size.of(options);
        Fragment f = new Fragment("Gateway proxy: per-frame work and in-process throughput");
        f.describe(String.format(Locale.ROOT, "Supporting figures, in the bench JVM (see docs/gateway-bench.md). 1: "
                + "%,d realistic MESSAGE_CREATE frames in one zlib stream, each step on one thread: frames/s (median "
                + "of %d passes) and bytes allocated per frame. 2: the simulator through an in-process `GatewayProxy` "
                + "(%d shards) into JetStream, %,d events per shard per run, from the first sent to the last stored "
                + "(median of %d runs). 3: `EventPublisher` alone storing %,d ready-made bodies per run.",
                size.frames, size.passes, SHARDS, size.eventsPerShard, size.runs, size.publishEvents));
        perFrame(size, f);
        f.info("end to end in process, simulator → proxy → JetStream", String.format(Locale.ROOT, "%,.0f events/s",
                endToEnd(size)), "information (the simulator shares the cores)");
        f.info("publish leg alone, EventPublisher → JetStream", String.format(Locale.ROOT, "%,.0f events/s",
                publishLeg(size)), "information");
        if (options.smoke()) {
            f.note("Smoke run: a tenth of the work; not a measurement.");
        }
        return f;
    }

    // ---- 1. per frame ----

    private static void perFrame(Size size, Fragment f) throws Exception {
        List<byte[]> messages = zlibStream(messageCreateFrames(size.frames));
        for (Step step : Step.values()) {
            List<Double> rates = new ArrayList<>();
            List<Double> allocations = new ArrayList<>();
            run(step, messages); // warm-up
            for (int pass = 0; pass < size.passes; pass++) {
                Measurement m = run(step, messages);
                rates.add(m.framesPerSecond);
                allocations.add(m.bytesPerFrame);
            }
            f.info(step.label, String.format(Locale.ROOT, "%,.0f frames/s, %,.0f bytes allocated per frame",
                    median(rates), median(allocations)), "information");
        }
    }

    private enum Step {
        INFLATE("inflate into the reused buffer"),
        JACKSON_ENVELOPE("inflate + envelope with a Jackson parser per frame (JacksonEnvelope, before)"),
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
                GatewayFrame frame = step == Step.JACKSON_ENVELOPE ? JacksonEnvelope.read(inflater.output(), 0, len)
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

    /** One deflate stream with a sync flush after every payload, as the simulator sends it (discord-gateway.md §3.3). */
    private static List<byte[]> zlibStream(List<byte[]> payloads) {
        try (ZlibStreamEncoder encoder = new ZlibStreamEncoder(0)) {
            List<byte[]> messages = new ArrayList<>(payloads.size());
            payloads.forEach(p -> messages.addAll(encoder.encode(p)));
            return messages;
        }
    }

    // ---- 2. end to end ----

    private static double endToEnd(Size size) throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
                Simulator sim = Simulator.builder().token("sim-token").shards(SHARDS).maxConcurrency(SHARDS)
                        .ledgerCapacity(1_000).replayCapacity(size.eventsPerShard * 2).start();
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
            List<Double> rates = new ArrayList<>();
            for (int run = 0; run <= size.runs; run++) {
                long storedBefore = awaitQuiet(jsm);
                long sentBefore = sim.gateway().dispatchesSent();
                long start = System.nanoTime();
                Thread[] senders = new Thread[SHARDS];
                for (int shard = 0; shard < SHARDS; shard++) {
                    int id = shard;
                    senders[shard] = Thread.ofPlatform().start(() -> sim.gateway().burst(id, size.eventsPerShard));
                }
                for (Thread t : senders) {
                    t.join();
                }
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
                if (run > 0) { // run 0 warms up
                    rates.add(rate);
                }
            }
            return median(rates);
        }
    }

    // ---- 3. publish leg ----

    private static double publishLeg(Size size) throws Exception {
        List<byte[]> bodies = messageCreateFrames(1_000).stream().map(f -> {
            try {
                return new EnvelopeReader().read(f, 0, f.length).data();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
        try (NatsServerProcess nats = NatsServerProcess.start(); Connection client = Nats.connect(nats.url())) {
            Subjects subjects = new Subjects("discord");
            EventStream.ensure(client.jetStreamManagement(), "DISCORD_EVENTS", subjects.allEvents(),
                    Duration.ofHours(1), Duration.ofMinutes(10), 1);
            EventPublisher publisher = new EventPublisher(client, subjects,
                    new PublisherSettings(size.publishEvents, 1L << 30, "DISCORD_EVENTS", Duration.ofHours(1), 1),
                    shard -> true, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
            List<Double> rates = new ArrayList<>();
            long seq = 0;
            try {
                for (int run = 0; run <= size.runs; run++) {
                    long start = System.nanoTime();
                    for (int i = 0; i < size.publishEvents; i++) {
                        seq++;
                        publisher.offer((int) (seq % SHARDS), "bench", seq, "MESSAGE_CREATE",
                                bodies.get((int) (seq % bodies.size())));
                    }
                    if (!publisher.flush(Duration.ofMinutes(2))) {
                        throw new IllegalStateException(publisher.pending() + " events not stored in 2 minutes");
                    }
                    double rate = size.publishEvents / ((System.nanoTime() - start) / 1e9);
                    if (run > 0) {
                        rates.add(rate);
                    }
                }
            } finally {
                publisher.close();
            }
            return median(rates);
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
