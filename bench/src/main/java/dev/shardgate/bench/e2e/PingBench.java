package dev.shardgate.bench.e2e;

import dev.shardgate.bench.support.BenchMain;
import dev.shardgate.bench.support.BenchOptions;
import dev.shardgate.bench.support.Distribution;
import dev.shardgate.bench.support.Fragment;
import dev.shardgate.bench.support.LoadAverage;
import dev.shardgate.bench.support.Pacer;
import dev.shardgate.bench.support.PrometheusText;
import dev.shardgate.bench.support.ProxyChild;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.testkit.JavaProcess;
import dev.shardgate.testkit.NatsServerProcess;
import dev.shardgate.worker.example.ExampleBot;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Nats;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.IntStream;

/**
 * {@code !ping} → {@code pong} end to end: the simulator's gateway, the gateway proxy ({@code gateway-proxy.jar} as a
 * child JVM, {@code ROLES=gateway,rest}), JetStream on a local nats-server, the example worker (child JVM), the
 * proxy's REST role and the simulator's REST API, while {@link BackgroundTraffic} sends 1,000 other events per second
 * through the same proxy and worker. Each ping is a MESSAGE_CREATE in a channel of its own; its latency runs from just
 * before the simulator is told to send it to the moment the simulator's REST API receives the worker's {@code POST
 * /channels/{id}/messages} (both on this JVM's {@link System#nanoTime()}). A core NATS subscription in this JVM
 * sees each ping's event when the proxy publishes it, which splits the path into the gateway leg and the rest.
 *
 * <p>Usage: {@code java -cp bench/target/bench.jar dev.shardgate.bench.e2e.PingBench [--out f.md] [--smoke]
 * [--jvm "<proxy JVM flags>"] [--proxy-jar <path>] [--jfr proxy.jfr]}.
 */
public final class PingBench {
    private static final String TOKEN = "sim-token";
    private static final String OWN_TIME = "shardgate_rest_overhead_seconds";
    private static final int SHARDS = 2;
    private static final double BACKGROUND_PER_SECOND = 1_000;
    private static final long CHANNEL_BASE = 990_000_000_000_000_000L;
    private static final String CHANNEL_MARK = "\"channel_id\":\"" + Long.toString(CHANNEL_BASE).substring(0, 6);
    private static final String MESSAGES_PATH = "/api/v10/channels/";
    private static final double GOAL_P99_MS = 15;
    /** A dispatch-call p99 this slow, and this many times its median, shows the simulator's thread was stalled. */
    private static final double STALLED_MS = 1;
    private static final double STALLED_FACTOR = 5;
    /** Not seen yet. */
    private static final long UNSET = Long.MIN_VALUE;

    private PingBench() {
    }

    /**
     * The warm-up is 30 s at 40 pings a second (under the simulator's global limit of 50): with 5 s at 20/s, the
     * REST path of the proxy and the worker (which only the pings take) ran in the interpreter and C1's profiling code
     * during the measurement, while the background events' path was compiled; a bot that has run a while has both
     * compiled.
     */
    private record Sizes(int warmUp, double warmUpPerSecond, int pings, double perSecond) {
        static Sizes of(boolean smoke) {
            return smoke ? new Sizes(20, 10, 20, 10) : new Sizes(1_200, 40, 500, 20);
        }
    }

    public static void main(String[] args) {
        BenchMain.run(PingBench.class, args, PingBench::measure);
    }

    private static Fragment measure(BenchOptions options) throws Exception {
        Sizes sizes = Sizes.of(options.smoke());
        int total = sizes.warmUp() + sizes.pings();
        long[] emitted = new long[total];
        long[] dispatchCall = new long[total];
        // Written by the simulator's HTTP threads and the NATS dispatcher, read here.
        AtomicLongArray published = unset(total);
        AtomicLongArray answered = unset(total);
        try (NatsServerProcess nats = NatsServerProcess.start();
                Simulator sim = Simulator.builder().token(TOKEN).shards(SHARDS).maxConcurrency(SHARDS).start();
                ProxyChild proxy = ProxyChild.start(options, sim.apiUrl(), nats.url(), Map.of(
                        "DISCORD_TOKEN", TOKEN, "ROLES", "gateway,rest"));
                Connection observer = Nats.connect(nats.url())) {
            sim.rest().observe((method, rawPath, body, at) -> {
                int ping = pingOfAnswer(method, rawPath, body);
                if (ping >= 0 && ping < total) {
                    answered.compareAndSet(ping, UNSET, at);
                }
            });
            AtomicLong seenOnNats = new AtomicLong();
            Dispatcher events = observer.createDispatcher(m -> {
                long at = System.nanoTime();
                seenOnNats.incrementAndGet();
                if (!m.getSubject().endsWith(".MESSAGE_CREATE")) {
                    return;
                }
                int ping = pingOfEvent(m.getData());
                if (ping >= 0 && ping < total) {
                    published.compareAndSet(ping, UNSET, at);
                }
            });
            events.subscribe("discord.events.>");
            observer.flush(Duration.ofSeconds(5));
            proxy.awaitReady(Duration.ofMinutes(2));
            try (JavaProcess worker = JavaProcess.start(ExampleBot.class, Map.of("NATS_URL", nats.url(),
                    "WORKER_METRICS_PORT", "0", "REST_PROXY_URL", proxy.restUrl()));
                    BackgroundTraffic background = new BackgroundTraffic(sim, SHARDS, BACKGROUND_PER_SECOND)) {
                // The first ping also waits for the worker to start and the consumer to exist.
                send(sim, 0, emitted, dispatchCall);
                awaitAnswers(answered, 0, 1, Duration.ofMinutes(2), worker);
                pace(sim, 1, sizes.warmUp(), sizes.warmUpPerSecond(), emitted, dispatchCall);
                awaitAnswers(answered, 0, sizes.warmUp(), Duration.ofSeconds(30), worker);
                PrometheusText metricsBefore = proxy.metrics();
                long eventsBefore = background.emitted();
                long natsBefore = seenOnNats.get();
                long start = System.nanoTime();
                pace(sim, sizes.warmUp(), total, sizes.perSecond(), emitted, dispatchCall);
                double seconds = (System.nanoTime() - start) / 1e9;
                double backgroundRate = (background.emitted() - eventsBefore) / seconds;
                double natsRate = (seenOnNats.get() - natsBefore) / seconds;
                awaitAnswers(answered, sizes.warmUp(), total, Duration.ofSeconds(30), worker);
                return fragment(options, sizes, slice(emitted, sizes.warmUp()), slice(published, sizes.warmUp()),
                        slice(answered, sizes.warmUp()), slice(dispatchCall, sizes.warmUp()), backgroundRate,
                        natsRate, metricsBefore, proxy.metrics(), LoadAverage.now());
            }
        }
    }

    /** Sends pings {@code from} (inclusive) to {@code to} at a steady pace. */
    private static void pace(Simulator sim, int from, int to, double perSecond, long[] emitted, long[] dispatchCall) {
        new Pacer(perSecond).emit(to - from, from, i -> send(sim, (int) i, emitted, dispatchCall));
    }

    /** A MESSAGE_CREATE "!ping" from a person in a channel of this ping's own, on shard {@code i % SHARDS}. */
    private static void send(Simulator sim, int i, long[] emitted, long[] dispatchCall) {
        int shard = i % SHARDS;
        long guild = sim.gateway().guildIds(shard)[0];
        String d = "{\"id\":\"" + (CHANNEL_BASE + 500_000 + i) + "\",\"channel_id\":\"" + (CHANNEL_BASE + i)
                + "\",\"guild_id\":\"" + guild + "\",\"content\":\"!ping\",\"author\":{\"id\":\"80351110224678912\","
                + "\"username\":\"pinger\",\"discriminator\":\"0\",\"avatar\":null,\"bot\":false},\"type\":0,"
                // the fields Discord always sends, which the worker's typed model requires
                + "\"timestamp\":\"2026-01-01T00:00:00.000000+00:00\",\"edited_timestamp\":null,\"tts\":false,"
                + "\"mention_everyone\":false,\"mentions\":[],\"mention_roles\":[],\"attachments\":[],\"embeds\":[],"
                + "\"pinned\":false}";
        long t0 = System.nanoTime();
        if (sim.gateway().dispatch(shard, "MESSAGE_CREATE", d) != 1) {
            throw new IllegalStateException("shard " + shard + " has no live session to send the ping on");
        }
        emitted[i] = t0;
        dispatchCall[i] = System.nanoTime() - t0;
    }

    private static void awaitAnswers(AtomicLongArray answered, int from, int to, Duration timeout,
                                     JavaProcess worker) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (missing(answered, from, to) > 0) {
            if (System.nanoTime() > deadline) {
                long missing = missing(answered, from, to);
                throw new IllegalStateException(missing + " of " + (to - from) + " pings unanswered after " + timeout
                        + "; worker log:\n" + worker.logText());
            }
            Thread.sleep(10);
        }
    }

    /** The ping a {@code POST /channels/{id}/messages} with {@code pong} answers, or -1. */
    private static int pingOfAnswer(String method, String rawPath, byte[] body) {
        if (!method.equals("POST") || !rawPath.startsWith(MESSAGES_PATH) || !rawPath.endsWith("/messages")
                || body == null || !new String(body, StandardCharsets.UTF_8).contains("pong")) {
            return -1;
        }
        String id = rawPath.substring(MESSAGES_PATH.length(), rawPath.length() - "/messages".length());
        try {
            long ping = Long.parseLong(id) - CHANNEL_BASE;
            return ping >= 0 && ping < Integer.MAX_VALUE ? (int) ping : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The ping a published MESSAGE_CREATE body is, by its channel, or -1 for background events. */
    private static int pingOfEvent(byte[] body) {
        String json = new String(body, StandardCharsets.UTF_8);
        int at = json.indexOf(CHANNEL_MARK);
        if (at < 0) {
            return -1;
        }
        int start = at + "\"channel_id\":\"".length();
        int end = json.indexOf('"', start);
        try {
            long ping = Long.parseLong(json.substring(start, end)) - CHANNEL_BASE;
            return ping >= 0 && ping < Integer.MAX_VALUE ? (int) ping : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static long missing(AtomicLongArray seen, int from, int to) {
        return IntStream.range(from, to).filter(i -> seen.get(i) == UNSET).count();
    }

    private static AtomicLongArray unset(int length) {
        AtomicLongArray a = new AtomicLongArray(length);
        for (int i = 0; i < length; i++) {
            a.set(i, UNSET);
        }
        return a;
    }

    private static long[] slice(long[] values, int from) {
        return Arrays.copyOfRange(values, from, values.length);
    }

    private static long[] slice(AtomicLongArray values, int from) {
        return IntStream.range(from, values.length()).mapToLong(values::get).toArray();
    }

    private static long[] minus(long[] later, long[] earlier) {
        long[] out = new long[later.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = later[i] - earlier[i];
        }
        return out;
    }

    private static Fragment fragment(BenchOptions options, Sizes sizes, long[] emitted, long[] published,
                                     long[] answered, long[] dispatchCall, double backgroundRate, double natsRate,
                                     PrometheusText metricsBefore, PrometheusText metrics, LoadAverage load) {
        Distribution total = new Distribution(minus(answered, emitted));
        Distribution gatewayLeg = new Distribution(minus(published, emitted));
        Distribution restLeg = new Distribution(minus(answered, published));
        Distribution simulatorCall = new Distribution(dispatchCall);
        Fragment f = new Fragment("End to end: !ping to pong" + (options.smoke() ? " (smoke)" : ""));
        f.describe(String.format(Locale.ROOT, "%d pings at %.0f/s (after %,d at %.0f/s to warm up, so that the JIT "
                + "compilers of the proxy and the worker have reached the ping's REST path too), each a MESSAGE_CREATE "
                + "`!ping` in a channel of its own, through the gateway proxy (`gateway-proxy.jar` as a child JVM, "
                + "gateway and REST roles, %d shards, zlib-stream), JetStream (local nats-server), the example worker "
                + "(child JVM) and the REST proxy back to the simulator, with %,.0f other events/s flowing through "
                + "the same proxy and worker. Latency from just before the simulator is told to send the ping to its "
                + "REST API receiving the `pong` POST, both on one clock; the publish time is when a core NATS "
                + "subscriber in the benchmark's JVM receives the event. %d cores shared with other work, Java %s. "
                + "Proxy JVM flags: %s.", sizes.pings(), sizes.perSecond(), sizes.warmUp(), sizes.warmUpPerSecond(),
                SHARDS, backgroundRate,
                Runtime.getRuntime().availableProcessors(), Runtime.version(), options.jvmFlagsText()));
        f.goal("`!ping` → `pong`, p50 / p99 / max", total.p50p99max(), "p99 ≤ 15 ms", total.p99() <= GOAL_P99_MS,
                pingLimit(gatewayLeg, restLeg, simulatorCall, load, metrics));
        f.info("leg: simulator → gateway proxy → published on NATS, p50 / p99 / max", gatewayLeg.p50p99max(), "—");
        f.info("leg: NATS → JetStream → worker → REST proxy → simulator, p50 / p99 / max", restLeg.p50p99max(), "—");
        f.info("of which the REST proxy's own time (`shardgate_rest_overhead`): mean over the measured pings; p50 / "
                + "p99 of its window, which includes the warm-up", Distribution.ms(metrics.meanSince(metricsBefore, OWN_TIME) * 1e3) + " ms; "
                + quantile(metrics, "0.5") + " / " + quantile(metrics, "0.99") + " ms", "—");
        f.info("simulator's own gateway loop (the dispatch call), p50 / p99 / max", simulatorCall.p50p99max(), "—");
        f.info("machine load average at the end of the run", load.text(), "—");
        f.goal("background events sent by the simulator; events published by the proxy", String.format(Locale.ROOT,
                "%,.0f/s; %,.0f/s", backgroundRate, natsRate), "1,000/s", backgroundRate >= BACKGROUND_PER_SECOND
                * 0.95 && natsRate >= BACKGROUND_PER_SECOND * 0.95, "the simulator's loop or the proxy could not "
                + "keep up with the background rate on the shared cores; the pings' figures then carry less load.");
        return f;
    }

    /**
     * What the run shows about a missed p99: the legs' p99s, and contention for the cores only when the run shows it
     * (the simulator's dispatch call, which runs none of Shardgate's code, had a slow tail, or the load average was
     * above the cores); otherwise just the leg that holds most of the tail.
     */
    private static String pingLimit(Distribution gatewayLeg, Distribution restLeg, Distribution simulatorCall,
                                    LoadAverage load, PrometheusText metrics) {
        String legs = String.format(Locale.ROOT, "at p99 the gateway leg took %s and the leg from NATS to the "
                + "simulator's REST API %s (the REST proxy's own p99: %s ms); the simulator's own dispatch call had a "
                + "p99 of %s (median %s); load average %s.", ms(gatewayLeg.p99()), ms(restLeg.p99()),
                quantile(metrics, "0.99"), ms(simulatorCall.p99()), ms(simulatorCall.p50()), load.text());
        boolean simulatorStalled = simulatorCall.p99() >= STALLED_MS
                && simulatorCall.p99() >= STALLED_FACTOR * simulatorCall.p50();
        if (simulatorStalled || load.overloaded()) {
            return legs + " " + (simulatorStalled ? "Code that is not Shardgate's stalled too" : "More tasks wanted "
                    + "the cores than there were") + ", so contention for the shared cores is in the tail.";
        }
        String slower = gatewayLeg.p99() >= restLeg.p99() ? "the gateway leg" : "the leg from NATS to the REST API";
        return legs + " The simulator was not stalled and the machine not overloaded; most of the tail is in "
                + slower + ", and this run does not show which step in it (profile the proxy with `--jfr`).";
    }

    private static String ms(double millis) {
        return Distribution.ms(millis) + " ms";
    }

    private static String quantile(PrometheusText metrics, String q) {
        return Distribution.ms(metrics.require(OWN_TIME, "quantile=\"" + q + "\"") * 1e3);
    }
}
