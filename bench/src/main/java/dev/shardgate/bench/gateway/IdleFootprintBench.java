package dev.shardgate.bench.gateway;

import dev.shardgate.bench.support.BenchMain;
import dev.shardgate.bench.support.BenchOptions;
import dev.shardgate.bench.support.Fragment;
import dev.shardgate.bench.support.ProcessStats;
import dev.shardgate.bench.support.ProxyChild;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.testkit.NatsServerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What idle shards cost (issue 8, deliverable 1): one gateway proxy child JVM ({@code gateway-proxy.jar},
 * {@code zlib-stream}) owning every shard of an in-process simulator, at rest after all are READY, read from
 * {@code /proc/<pid>}: resident memory, OS threads and CPU. A second run of the same proxy with one shard is the
 * baseline, so (many − one) / (shards − 1) is the cost of one shard. Each run has its own nats-server and simulator (Discord's 41.25 s heartbeat
 * interval, one identify bucket per shard so start-up takes one 5 s window).
 *
 * <p>Usage: {@code java -cp bench/target/bench.jar dev.shardgate.bench.gateway.IdleFootprintBench [--smoke]
 * [--out f.md] [--jvm "-Xmx64m -XX:+UseSerialGC"]}. Runs on its main thread.
 */
public final class IdleFootprintBench {
    private static final double RSS_GOAL_MB = 200;
    private static final double CPU_GOAL_PERCENT = 2;
    /** Below this many platform threads per shard, no shard has a thread of its own. */
    private static final double THREADS_PER_SHARD_GOAL = 0.05;

    private IdleFootprintBench() {
    }

    public static void main(String[] args) {
        BenchMain.run(IdleFootprintBench.class, args, IdleFootprintBench::measure);
    }

    /** Averages of one run at rest. */
    private record Footprint(int shards, double rssMb, double threads, double cpuPercent, double jitPercent,
                             Duration startup, String heap, Map<String, Integer> threadNames) {
        /** The process's CPU without the JIT compiler's, which falls to nothing once the code at rest is compiled. */
        double steadyCpuPercent() {
            return cpuPercent - jitPercent;
        }
    }

    private static Fragment measure(BenchOptions options) throws Exception {
        int shards = options.smoke() ? 50 : 1_000;
        // Settled: a flight recording 15 s after all were READY still showed the JIT compiler at work (a quarter of
        // the CPU "at rest"); a proxy that has run a minute has compiled what rest needs.
        Duration settle = options.smoke() ? Duration.ofSeconds(3) : Duration.ofSeconds(45);
        Duration window = options.smoke() ? Duration.ofSeconds(5) : Duration.ofSeconds(60);
        Footprint base = run(options, shards, 1, settle, window, Map.of());
        Footprint full = run(options, shards, shards, settle, window, Map.of());
        double rssPerShardKb = (full.rssMb - base.rssMb) * 1024 / (shards - 1);
        double threadsPerShard = (full.threads - base.threads) / (shards - 1);

        Fragment f = new Fragment(String.format(Locale.ROOT, "Gateway proxy: %,d idle shards", shards));
        f.describe(String.format(Locale.ROOT, "One gateway proxy child JVM (`gateway-proxy.jar`, `zlib-stream`) owns "
                + "%,d shards of the simulator; once all are READY and %d s have passed, `/proc/<pid>` is read every "
                + "second for %d s at rest: resident memory (VmRSS, mean), OS threads (mean) and CPU "
                + "((utime + stime) / wall time, percent of one core). A run of the same proxy with 1 shard is the "
                + "baseline; per shard = (%,d shards − 1 shard) / %,d. Proxy JVM flags: %s.", shards,
                settle.toSeconds(), window.toSeconds(), shards, shards - 1, options.jvmFlagsText()));
        f.goal(String.format(Locale.ROOT, "resident memory, %,d idle shards", shards), mb(full.rssMb),
                "≤ 200 MB (discord.js bridge: 187 MB)", full.rssMb <= RSS_GOAL_MB,
                "of it, the Java heap: " + full.heap + "; the 1-shard baseline is " + mb(base.rssMb) + ".");
        f.info("memory per shard", String.format(Locale.ROOT, "%,.1f KB", rssPerShardKb),
                "floor ≈ 40 KB (zlib window and inflater state)");
        f.goal(String.format(Locale.ROOT, "CPU at rest, %,d shards, steady state (without the JIT compiler)", shards),
                pct(full.steadyCpuPercent()), "≤ 2 % (discord.js bridge: 3.3 %)",
                full.steadyCpuPercent() <= CPU_GOAL_PERCENT,
                String.format(Locale.ROOT, "the shards' own work at rest is heartbeats (%.0f a second, each a "
                        + "frame out and an ack in) and their timers; the process's lease is one KV write every "
                        + "2.5 s whatever the shard count; the 1-shard baseline (NATS pings, metrics, GC) uses "
                        + "%s.", shards / 41.25, pct(base.steadyCpuPercent())));
        f.info(String.format(Locale.ROOT, "CPU at rest, %,d shards, JIT compiler included", shards),
                pct(full.cpuPercent), String.format(Locale.ROOT, "information: of it the JIT compiler's threads %s, "
                        + "still compiling what runs at rest (a heartbeat path reaches the optimising compiler's "
                        + "thresholds only after minutes at %.0f beats a second); it falls to nothing as that is "
                        + "done", pct(full.jitPercent), shards / 41.25));
        f.info("CPU at rest, 1 shard (baseline), JIT compiler included", pct(base.cpuPercent), "information");
        f.info(String.format(Locale.ROOT, "OS threads, %,d shards / 1 shard", shards),
                String.format(Locale.ROOT, "%.0f / %.0f", full.threads, base.threads), "information");
        f.goal("platform threads per shard", String.format(Locale.ROOT, "%.3f", threadsPerShard),
                "none per shard (< 0.05)", threadsPerShard < THREADS_PER_SHARD_GOAL,
                "the threads that grow with the shards, by name (Linux cuts names at 15 characters; # is a number): "
                        + grownThreads(base.threadNames, full.threadNames, shards) + ".");
        f.info(String.format(Locale.ROOT, "start-up to all READY, %,d shards", shards),
                String.format(Locale.ROOT, "%.1f s", full.startup.toMillis() / 1000.0),
                "information (max_concurrency = shards)");
        if (options.smoke()) {
            f.note("Smoke run: " + shards + " shards, " + window.toSeconds() + " s windows; not a measurement.");
        }
        return f;
    }

    /** A fresh nats-server, simulator and proxy owning {@code owned} of {@code shards}, measured at rest. */
    private static Footprint run(BenchOptions options, int shards, int owned, Duration settle, Duration window,
            Map<String, String> extraEnv) throws Exception {
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put("SHARD_IDS", owned == 1 ? "0" : "0-" + (owned - 1));
        env.put("GATEWAY_COMPRESSION", "zlib-stream");
        try (NatsServerProcess nats = NatsServerProcess.start();
                Simulator sim = Simulator.builder().token("sim-token").shards(shards).maxConcurrency(shards)
                        .sessionStartLimit(100_000, 100_000, Duration.ofHours(24)).start();
                ProxyChild proxy = ProxyChild.start(options, sim.apiUrl(), nats.url(), env)) {
            Duration startup = proxy.awaitServing(owned, Duration.ofMinutes(owned > 100 ? 10 : 3));
            Thread.sleep(settle.toMillis());
            List<ProcessStats> samples = new ArrayList<>();
            long start = System.nanoTime();
            ProcessStats first = proxy.stats();
            double firstJit = ProcessStats.jitCpuSeconds(proxy.pid());
            for (long s = 1; s <= window.toSeconds(); s++) {
                Thread.sleep(Math.max(0, (start + s * 1_000_000_000L - System.nanoTime()) / 1_000_000));
                samples.add(proxy.stats());
            }
            double wall = (System.nanoTime() - start) / 1e9;
            ProcessStats last = samples.getLast();
            double jit = ProcessStats.jitCpuSeconds(proxy.pid()) - firstJit;
            proxy.awaitServing(owned, Duration.ofSeconds(10)); // still all serving: nothing reconnected at rest
            return new Footprint(owned, samples.stream().mapToDouble(ProcessStats::rssMb).average().orElseThrow(),
                    samples.stream().mapToInt(ProcessStats::threads).average().orElseThrow(),
                    (last.cpuSeconds() - first.cpuSeconds()) / wall * 100, jit / wall * 100, startup, heapInfo(proxy),
                    ProcessStats.threadNames(proxy.pid()));
        }
    }

    /** Thread names whose count grew by at least a tenth of the shards from the baseline, with the growth. */
    private static String grownThreads(Map<String, Integer> base, Map<String, Integer> full, int shards) {
        StringBuilder out = new StringBuilder();
        full.forEach((name, n) -> {
            int grown = n - base.getOrDefault(name, 0);
            if (grown >= shards / 10) {
                out.append(out.isEmpty() ? "" : ", ").append('`').append(name).append("` +").append(grown);
            }
        });
        return out.isEmpty() ? "none by name (many names grew a little)" : out.toString();
    }

    /** The generations' lines of {@code jcmd GC.heap_info} (committed and used), on one line. */
    private static String heapInfo(ProxyChild proxy) {
        try {
            return "`" + proxy.jcmd("GC.heap_info").lines().filter(l -> l.contains(" total ")).map(String::strip)
                    .reduce((a, b) -> a + "; " + b).orElse("?") + "`";
        } catch (Exception e) {
            return "(jcmd GC.heap_info failed: " + e.getMessage() + ")";
        }
    }

    private static String mb(double mb) {
        return String.format(Locale.ROOT, "%,.0f MB", mb);
    }

    private static String pct(double percent) {
        return String.format(Locale.ROOT, "%.2f %%", percent);
    }
}
