package dev.shardgate.bench.gateway;

import dev.shardgate.bench.support.BenchMain;
import dev.shardgate.bench.support.BenchOptions;
import dev.shardgate.bench.support.Distribution;
import dev.shardgate.bench.support.Fragment;
import dev.shardgate.bench.support.Pacer;
import dev.shardgate.bench.support.ProxyChild;
import dev.shardgate.protocol.Intents;
import dev.shardgate.protocol.Opcode;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.CommandRecord;
import dev.shardgate.testkit.NatsServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Heartbeat punctuality (issue 8, deliverable 5), measured black-box at the simulator: a gateway proxy child JVM
 * ({@code gateway-proxy.jar}) with many shards and a short heartbeat interval, under the full event load, while
 * {@code jcmd <pid> GC.run} forces several full GCs of the proxy. The simulator stamps every payload with the time
 * its websocket server read it ({@link CommandRecord#at()}); for each connection the heartbeats of the window are
 * {@code a_0 … a_n}, their offsets {@code a_k − (a_0 + k × interval)}, and a beat's lateness is its offset minus
 * the connection's smallest one. The figure is the largest lateness (and p99) over every beat of every connection.
 * The simulator's own read delay is included, so this is an upper bound. Runs on its main thread, with the event
 * pacer and the GC trigger on threads of their own.
 */
public final class HeartbeatBench {
    private static final double GOAL_MS = 50;
    private static final Duration INTERVAL = Duration.ofSeconds(1);
    private static final Pattern PAUSE = Pattern.compile(" ([0-9]+(?:\\.[0-9]+)?)ms$");

    private HeartbeatBench() {
    }

    public static void main(String[] args) {
        BenchMain.run(HeartbeatBench.class, args, HeartbeatBench::measure);
    }

    private static Fragment measure(BenchOptions options) throws Exception {
        int shards = options.smoke() ? 20 : 100;
        int rate = options.smoke() ? 500 : 5_000;
        int fullGcs = options.smoke() ? 2 : 5;
        Duration warmUp = options.smoke() ? Duration.ofSeconds(2) : Duration.ofSeconds(10);
        Duration window = options.smoke() ? Duration.ofSeconds(8) : Duration.ofSeconds(60);
        List<Instant[]> gcs = new CopyOnWriteArrayList<>();
        List<Long> lateness = new ArrayList<>();
        int beats = 0;
        long latestAt = 0;
        long latest = -1;
        List<Integer> reconnected = new ArrayList<>();
        Instant from;
        // A file the JVM creates itself: it would rotate an existing one to a ".0" file and leave that behind.
        Path gcDir = Files.createTempDirectory("heartbeat-bench-gc");
        Path gcLog = gcDir.resolve("gc.log");
        BenchOptions withGcLog = options.withJvmFlag("-Xlog:gc:file=" + gcLog);
        try (NatsServerProcess nats = NatsServerProcess.start();
                Simulator sim = Simulator.builder().token("sim-token").shards(shards).maxConcurrency(shards)
                        .heartbeatInterval(INTERVAL).sessionStartLimit(100_000, 100_000, Duration.ofHours(24))
                        .ledgerCapacity(shards * (int) (window.toSeconds() + warmUp.toSeconds() + 30)).start();
                ProxyChild proxy = ProxyChild.start(withGcLog, sim.apiUrl(), nats.url(), Map.of(
                        "GATEWAY_COMPRESSION", "zlib-stream",
                        "GATEWAY_INTENTS", Integer.toString(Intents.GUILDS | Intents.GUILD_MESSAGES
                                | Intents.MESSAGE_CONTENT)))) {
            proxy.awaitServing(shards, Duration.ofMinutes(3));
            MessageLoad load = new MessageLoad(sim, shards);
            Pacer pacer = new Pacer(rate);
            long next = pacer.run(warmUp.toNanos(), 0, i -> load.emit(sim, i));
            int sessionsBefore = sim.gateway().identifies().size() + sim.gateway().resumes().size();
            from = Instant.now();
            Thread gcThread = Thread.ofPlatform().name("bench-full-gc").start(() -> forceFullGcs(proxy, fullGcs,
                    window, gcs));
            pacer.run(window.toNanos(), next, i -> load.emit(sim, i));
            Instant to = Instant.now();
            gcThread.join();
            if (sim.gateway().identifies().size() + sim.gateway().resumes().size() != sessionsBefore) {
                sim.gateway().identifies().stream().filter(r -> r.at().isAfter(from)).forEach(r -> reconnected.add(
                        r.shardId()));
                sim.gateway().resumes().stream().filter(r -> r.at().isAfter(from)).forEach(r -> reconnected.add(
                        r.shardId()));
            }
            for (int shard = 0; shard < shards; shard++) {
                if (reconnected.contains(shard)) {
                    continue;
                }
                long[] arrivals = sim.gateway().commands(shard).stream()
                        .filter(c -> c.op() == Opcode.HEARTBEAT.code() && !c.at().isBefore(from)
                                && c.at().isBefore(to))
                        .mapToLong(c -> StreamArrivals.nanos(c.at())).toArray();
                long[] late = lateness(arrivals, INTERVAL.toNanos());
                for (int k = 0; k < late.length; k++) {
                    lateness.add(late[k]);
                    if (late[k] > latest) {
                        latest = late[k];
                        latestAt = arrivals[k];
                    }
                }
                beats += arrivals.length;
            }
        }
        Distribution d = new Distribution(lateness.stream().mapToLong(Long::longValue).toArray());
        List<String> gcLines = Files.readAllLines(gcLog);
        Files.delete(gcLog);
        Files.delete(gcDir);
        Distribution allPauses = pauses(gcLines, line -> line.contains("Pause"));
        // The pauses the benchmark's own GCs (jcmd GC.run) began with: Serial's whole full GC, a concurrent
        // collector's initial pause (G1 names its cause; Shenandoah's concurrent cycle names none on its pauses).
        // A start-up full GC (Metadata GC Threshold) is not in the window and not counted.
        Distribution forcedPauses = pauses(gcLines,
                line -> line.contains("Pause") && line.contains("(Diagnostic Command)"));
        Fragment f = new Fragment("Gateway proxy: heartbeat punctuality under load and full GCs");
        f.describe(String.format(Locale.ROOT, "One gateway proxy child JVM (`gateway-proxy.jar`, `zlib-stream`) with "
                + "%d shards, heartbeat interval %d ms (set by the simulator's Hello), %,d MESSAGE_CREATE events/s "
                + "spread over the shards, and %d full GCs forced with `jcmd <pid> GC.run` during a %d s window "
                + "(after %d s of load). The simulator stamps each heartbeat when its websocket server reads it; per "
                + "connection, a beat's lateness is `a_k − (a_0 + k × interval)` minus the connection's smallest such "
                + "offset. The simulator's own read delay is included (an upper bound; its JVM runs ZGC, so that its "
                + "own pauses stay under a millisecond). Proxy JVM flags: %s, and `-Xlog:gc` to a file for its pauses.",
                shards, INTERVAL.toMillis(), rate, fullGcs, window.toSeconds(), warmUp.toSeconds(),
                options.jvmFlagsText()));
        f.goal("latest heartbeat after its due time (max over all)", Distribution.ms(d.maxMillis()) + " ms",
                "≤ 50 ms", d.maxMillis() <= GOAL_MS, "the latest beat " + nearGc(latestAt, gcs, from) + "; p99 is "
                        + Distribution.ms(d.p99()) + " ms. The collector stopped the proxy for up to "
                        + Distribution.ms(allPauses.maxMillis()) + " ms (its GC log); every thread waits a pause out, "
                        + "and the beats due meanwhile then leave together.");
        f.info("heartbeat lateness p50 / p99", Distribution.ms(d.p50()) + " / " + Distribution.ms(d.p99()) + " ms",
                "information");
        f.info("the proxy's GC pauses (its GC log), median / max", String.format(Locale.ROOT, "%s / %s ms (%d)",
                Distribution.ms(allPauses.p50()), Distribution.ms(allPauses.maxMillis()), allPauses.count()),
                "information");
        f.info("forced full GCs (its GC log): pauses they began with, median / max", forcedPauses.count() == 0
                ? String.format(Locale.ROOT, "%d forced, no pause names them (collected concurrently)", fullGcs)
                : String.format(Locale.ROOT, "%d: %s / %s ms", forcedPauses.count(),
                        Distribution.ms(forcedPauses.p50()), Distribution.ms(forcedPauses.maxMillis())),
                "information");
        f.info("heartbeats measured", String.format(Locale.ROOT, "%,d on %d connections", beats,
                shards - reconnected.size()), "information");
        f.goal("connections lost during the window", Integer.toString(reconnected.size()), "0",
                reconnected.isEmpty(), "shards " + reconnected + " identified or resumed during the window (a beat "
                        + "over 1.5 intervals late makes the simulator close 4009); they are left out of the figures.");
        if (options.smoke()) {
            f.note("Smoke run: " + shards + " shards, " + rate + " events/s, " + window.toSeconds()
                    + " s; not a measurement.");
        }
        return f;
    }

    /** Per beat: its offset from {@code a_0 + k × interval}, minus the smallest offset of the connection. */
    static long[] lateness(long[] arrivals, long intervalNanos) {
        long[] offsets = new long[arrivals.length];
        long min = Long.MAX_VALUE;
        for (int k = 0; k < arrivals.length; k++) {
            offsets[k] = arrivals[k] - (arrivals[0] + k * intervalNanos);
            min = Math.min(min, offsets[k]);
        }
        for (int k = 0; k < offsets.length; k++) {
            offsets[k] -= min;
        }
        return offsets;
    }

    /** The pauses of the lines chosen in a {@code -Xlog:gc} log ({@code ... Pause Full (...) 30M->20M(60M) 31.2ms}). */
    static Distribution pauses(List<String> gcLog, Predicate<String> chosen) {
        return new Distribution(gcLog.stream().filter(chosen)
                .map(PAUSE::matcher).filter(Matcher::find)
                .mapToLong(m -> (long) (Double.parseDouble(m.group(1)) * 1_000_000)).toArray());
    }

    /** Forces {@code count} full GCs of the proxy, spread evenly over the window; records each from start to end. */
    private static void forceFullGcs(ProxyChild proxy, int count, Duration window, List<Instant[]> gcs) {
        long spacing = window.toMillis() / (count + 1);
        try {
            for (int i = 0; i < count; i++) {
                Thread.sleep(spacing);
                Instant start = Instant.now();
                proxy.jcmd("GC.run");
                gcs.add(new Instant[] {start, Instant.now()});
            }
        } catch (Exception e) {
            throw new IllegalStateException("forcing a full GC of the proxy failed", e);
        }
    }

    /** Where the latest beat fell: during a forced GC's {@code jcmd} (or one interval after it), or elsewhere. */
    private static String nearGc(long arrivalNanos, List<Instant[]> gcs, Instant windowStart) {
        long origin = StreamArrivals.nanos(windowStart);
        for (Instant[] gc : gcs) {
            long start = StreamArrivals.nanos(gc[0]);
            long end = StreamArrivals.nanos(gc[1]);
            if (arrivalNanos >= start && arrivalNanos <= end + INTERVAL.toNanos()) {
                return String.format(Locale.ROOT, "arrived %,d ms into the window, during or within one interval "
                        + "after a forced full GC (`jcmd GC.run` ran from %,d to %,d ms)", (arrivalNanos - origin)
                        / 1_000_000, (start - origin) / 1_000_000, (end - origin) / 1_000_000);
            }
        }
        return String.format(Locale.ROOT, "arrived %,d ms into the window, not near a forced GC: the proxy's "
                + "scheduling under the event load, or the simulator's read delay", (arrivalNanos - origin)
                / 1_000_000);
    }
}
