package dev.shardgate.bench.rest;

import dev.shardgate.bench.support.BenchMain;
import dev.shardgate.bench.support.BenchOptions;
import dev.shardgate.bench.support.Distribution;
import dev.shardgate.bench.support.Fragment;
import dev.shardgate.bench.support.LoadAverage;
import dev.shardgate.bench.support.PrometheusText;
import dev.shardgate.bench.support.ProxyChild;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The REST role's own cost, with limits so high that nothing waits: the simulator's REST API in this JVM, the
 * proxy ({@code gateway-proxy.jar}, {@code ROLES=rest}) as a child JVM in front of it.
 * <ol>
 * <li>Added latency: the same {@code GET /channels/{id}} sent directly to the simulator and through the proxy,
 * alternately, one at a time, each over its own keep-alive connection; percentiles of both and their difference,
 * beside the proxy's own time per request ({@code shardgate_rest_overhead_seconds}).</li>
 * <li>Throughput: concurrent keep-alive clients (virtual threads, a raw HTTP/1.1 client that costs little CPU)
 * for a fixed time, directly to the simulator (the peer: what the simulator and the clients manage alone on this
 * machine) and through the proxy; requests per second, the proxy's CPU, and the simulator's 429s (must be 0).</li>
 * </ol>
 * Usage: {@code java -cp bench/target/bench.jar dev.shardgate.bench.rest.RestRoleBench [--out f.md] [--smoke]
 * [--jvm "<proxy JVM flags>"] [--proxy-jar <path>] [--jfr proxy.jfr]} or {@code scripts/bench-rest.sh}.
 */
public final class RestRoleBench {
    private static final String TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.bench.not-a-real-token";
    private static final long CHANNEL_BASE = 960_000_000_000_000_000L;
    private static final List<String> PATHS = IntStream.range(0, 64)
            .mapToObj(i -> "/channels/" + (CHANNEL_BASE + i)).toList();
    private static final int CLIENTS = 48;
    private static final double GOAL_P50_MS = 0.3;
    private static final double GOAL_P99_MS = 2.0;
    private static final double GOAL_RATE = 5_000;
    /** The share of all cores in use above which the machine had no CPU to spare. */
    private static final double SATURATED = 0.9;

    private RestRoleBench() {
    }

    /**
     * 20,000 pairs to warm up: after 3,000 the proxy's per-request methods were still in C1's profiling tier (C2
     * takes over at about 5,000 calls) and C2 compiled them during the measured pairs. Alternating runs, same hour
     * (2026-12-04): added latency p50 0.21 / 0.24 ms and the proxy's own time 0.11 / 0.09 ms after 3,000; 0.10 / 0.14
     * and 0.04 / 0.05 ms after 20,000.
     */
    private record Sizes(int warmUpPairs, int pairs, Duration warmUp, Duration load) {
        static Sizes of(boolean smoke) {
            return smoke ? new Sizes(300, 300, Duration.ofSeconds(1), Duration.ofSeconds(3))
                    : new Sizes(20_000, 5_000, Duration.ofSeconds(5), Duration.ofSeconds(20));
        }
    }

    private record Latency(Distribution direct, Distribution proxied, OwnTime ownTime) { }

    /**
     * The proxy's own time per request, from its {@code shardgate_rest_overhead_seconds} timer: the mean over the
     * measured phase exactly (from the sum and count), the percentiles and maximum as the proxy reports them, over
     * its sliding window, which still holds the warm-up.
     */
    private record OwnTime(double p50, double p99, double max, double mean) {
        static OwnTime between(PrometheusText before, PrometheusText after) {
            String name = "shardgate_rest_overhead_seconds";
            return new OwnTime(after.require(name, "quantile=\"0.5\"") * 1e3,
                    after.require(name, "quantile=\"0.99\"") * 1e3, after.require(name + "_max", "") * 1e3,
                    after.meanSince(before, name) * 1e3);
        }
    }

    public static void main(String[] args) {
        BenchMain.run(RestRoleBench.class, args, RestRoleBench::measure);
    }

    /** What the proxied throughput run measured. */
    private record Load(ClosedLoopLoad.Result direct, ClosedLoopLoad.Result through, double proxyCpu, double benchCpu,
                        long limited, Instant from, Instant to) { }

    private static Fragment measure(BenchOptions options) throws Exception {
        Sizes sizes = Sizes.of(options.smoke());
        Latency latency;
        Load load;
        try (SimulatedRest sim = new SimulatedRest(TOKEN);
                ProxyChild proxy = ProxyChild.startRestRole(options, sim.url().toString(), Map.of(
                        "DISCORD_TOKEN", TOKEN, "REST_GLOBAL_LIMIT", "100000"))) {
            proxy.awaitReady(Duration.ofSeconds(60));
            URI proxied = URI.create(proxy.restUrl());
            latency = addedLatency(sim.url(), proxied, proxy, sizes);
            ClosedLoopLoad.run(sim.url(), "Bot " + TOKEN, PATHS, CLIENTS, sizes.warmUp());
            ClosedLoopLoad.Result direct = ClosedLoopLoad.run(sim.url(), "Bot " + TOKEN, PATHS, CLIENTS, sizes.load());
            ClosedLoopLoad.run(proxied, null, PATHS, CLIENTS, sizes.warmUp());
            double cpuBefore = proxy.stats().cpuSeconds();
            long benchCpuBefore = benchCpuNanos();
            long limitedBefore = sim.rateLimited();
            Instant from = Instant.now();
            ClosedLoopLoad.Result through = ClosedLoopLoad.run(proxied, null, PATHS, CLIENTS, sizes.load());
            Instant to = Instant.now();
            load = new Load(direct, through, proxy.stats().cpuSeconds() - cpuBefore,
                    (benchCpuNanos() - benchCpuBefore) / 1e9, sim.rateLimited() - limitedBefore, from, to);
        }
        // The proxy writes its recording when it exits, so the profile is read after close.
        String profile = options.jfr() == null ? null : CpuProfile.between(options.jfr(), load.from(), load.to());
        return fragment(options, sizes, latency, load, profile, LoadAverage.now());
    }

    /** Direct and proxied requests alternately, one at a time, after a warm-up of both paths. */
    private static Latency addedLatency(URI sim, URI proxied, ProxyChild proxy, Sizes sizes) throws Exception {
        try (KeepAliveConnection toSim = new KeepAliveConnection(sim, "Bot " + TOKEN);
                KeepAliveConnection toProxy = new KeepAliveConnection(proxied, null)) {
            sequential(toSim, toProxy, sizes.warmUpPairs());
            PrometheusText before = proxy.metrics();
            long[][] times = sequential(toSim, toProxy, sizes.pairs());
            PrometheusText after = proxy.metrics();
            return new Latency(new Distribution(times[0]), new Distribution(times[1]),
                    OwnTime.between(before, after));
        }
    }

    private static long[][] sequential(KeepAliveConnection toSim, KeepAliveConnection toProxy, int pairs)
            throws IOException {
        long[] direct = new long[pairs];
        long[] proxied = new long[pairs];
        for (int i = 0; i < pairs; i++) {
            String path = PATHS.get(i % PATHS.size());
            direct[i] = timed(toSim, path);
            proxied[i] = timed(toProxy, path);
        }
        return new long[][] {direct, proxied};
    }

    private static long timed(KeepAliveConnection connection, String path) throws IOException {
        long t0 = System.nanoTime();
        int status = connection.get(path);
        long took = System.nanoTime() - t0;
        if (status != 200) {
            throw new IllegalStateException("GET " + path + " answered " + status);
        }
        return took;
    }

    private static Fragment fragment(BenchOptions options, Sizes sizes, Latency latency, Load load, String profile,
                                     LoadAverage machine) {
        double addedP50 = latency.proxied.p50() - latency.direct.p50();
        double addedP99 = latency.proxied.p99() - latency.direct.p99();
        double addedMax = latency.proxied.maxMillis() - latency.direct.maxMillis();
        OwnTime own = latency.ownTime;
        ClosedLoopLoad.Result through = load.through();
        double rate = through.perSecond();
        double proxyCores = load.proxyCpu() / through.seconds();
        double benchCores = load.benchCpu() / through.seconds();
        Fragment f = new Fragment("REST role: added latency and throughput" + (options.smoke() ? " (smoke)" : ""));
        f.describe(String.format(Locale.ROOT, "The proxy (`gateway-proxy.jar`, `ROLES=rest`, a child JVM) in front of "
                + "the simulator's REST API (in the benchmark's JVM), limits so high that nothing waits, "
                + "`GET /channels/{id}` over 64 channels. Latency: %,d requests direct and %,d through the proxy, "
                + "alternately, one at a time, keep-alive, after %,d of each to warm up. Throughput: %d keep-alive "
                + "clients (virtual threads, raw HTTP/1.1) for %d s after %d s of warm-up, directly and through the "
                + "proxy. %d cores shared with other work, Java %s. Proxy JVM flags: %s.", sizes.pairs(),
                sizes.pairs(), sizes.warmUpPairs(), CLIENTS, sizes.load().toSeconds(), sizes.warmUp().toSeconds(),
                Runtime.getRuntime().availableProcessors(), Runtime.version(), options.jvmFlagsText()));
        String latencyLimit = String.format(Locale.ROOT, "the proxy's own work (handling minus the exchange with the "
                + "simulator) is %s at the median and %s at p99; the rest of the difference lies outside its handler "
                + "(the second loopback hop, the HTTP server's and client's threads), which this run does not "
                + "separate. The direct requests' own p99 was %s; load average %s.", ms(own.p50), ms(own.p99),
                ms(latency.direct.p99()), machine.text());
        f.info("direct to the simulator, p50 / p99 / max", latency.direct.p50p99max(), "—");
        f.info("through the proxy, p50 / p99 / max", latency.proxied.p50p99max(), "—");
        f.goal("added latency at p50 (difference of medians)", ms(addedP50), "≤ 0.3 ms", addedP50 <= GOAL_P50_MS,
                latencyLimit);
        f.goal("added latency at p99 (difference of p99s); at max", ms(addedP99) + "; " + ms(addedMax), "≤ 2 ms",
                addedP99 <= GOAL_P99_MS, latencyLimit);
        f.goal("proxy's own time per request (`shardgate_rest_overhead`): p50 / p99 / max, window incl. warm-up",
                Distribution.ms(own.p50) + " / " + Distribution.ms(own.p99) + " / " + Distribution.ms(own.max) + " ms",
                "p50 ≤ 0.3 ms, p99 ≤ 2 ms", own.p50 <= GOAL_P50_MS && own.p99 <= GOAL_P99_MS, latencyLimit);
        f.info("proxy's own time per request, mean over the measured requests", ms(own.mean), "—");
        f.goal("throughput through the proxy, " + CLIENTS + " clients", String.format(Locale.ROOT,
                "%,.0f requests/s", rate), "≥ 5,000 requests/s", rate >= GOAL_RATE,
                throughputLimit(through, load.proxyCpu(), proxyCores + benchCores, profile, machine));
        f.info("throughput directly to the simulator, same clients (peer)", String.format(Locale.ROOT,
                "%,.0f requests/s", load.direct().perSecond()), "—");
        f.info("latency under that load through the proxy, p50 / p99 / max", through.latency().p50p99max(), "—");
        f.info("proxy CPU during the proxied run", String.format(Locale.ROOT, "%.0f %% of a core, %.3f s per 1,000 "
                + "requests", 100 * proxyCores, load.proxyCpu() / through.requests() * 1000), "—");
        f.info("benchmark JVM CPU (simulator + clients) during the proxied run", String.format(Locale.ROOT,
                "%.0f %% of a core", 100 * benchCores), "—");
        if (profile != null) {
            f.info("where the proxy's CPU went during the proxied run (JFR execution samples, innermost known frame)",
                    profile, "—");
        }
        f.info("machine load average at the end of the run", machine.text(), "—");
        f.goal("429s at the simulator during the proxied run; failed requests", load.limited() + "; "
                + (through.failed() + load.direct().failed()), "0; 0", load.limited() == 0 && through.failed() == 0
                && load.direct().failed() == 0, "429s mean the proxy's limiter let through more than the simulator's "
                + "limits (a million per second here) allow; failed requests are in the benchmark's output.");
        return f;
    }

    /**
     * What the run shows about a missed rate: the CPU it measured, CPU as the limit only when the proxy and the
     * benchmark together used nearly all cores, and where the proxy's CPU went only from this run's recording.
     */
    private static String throughputLimit(ClosedLoopLoad.Result through, double proxyCpu, double coresUsed,
                                          String profile, LoadAverage machine) {
        StringBuilder why = new StringBuilder(String.format(Locale.ROOT, "the proxy used %.2f ms of CPU per request; "
                + "proxy and benchmark JVM together used %.2f of %d cores; load average %s. ",
                proxyCpu / through.requests() * 1e3, coresUsed, machine.cores(), machine.text()));
        if (coresUsed >= SATURATED * machine.cores() || machine.overloaded()) {
            why.append("The cores were busy, so CPU limits the rate. ");
        } else {
            why.append("The cores were not all busy, so this run does not show CPU as the limit. ");
        }
        why.append(profile == null ? "Run with `--jfr` to see where the proxy's CPU goes; docs/rest-proxy.md has "
                + "a profile of an earlier run." : "Where the proxy's CPU went: " + profile + ".");
        return why.toString();
    }

    private static String ms(double millis) {
        return Distribution.ms(millis) + " ms";
    }

    private static long benchCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
