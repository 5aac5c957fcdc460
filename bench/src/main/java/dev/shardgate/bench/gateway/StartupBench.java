package dev.shardgate.bench.gateway;

import dev.shardgate.bench.support.BenchMain;
import dev.shardgate.bench.support.BenchOptions;
import dev.shardgate.bench.support.Distribution;
import dev.shardgate.bench.support.Fragment;
import dev.shardgate.bench.support.ProxyChild;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.IdentifyRecord;
import dev.shardgate.testkit.NatsServerProcess;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Start-up at Discord's pace (issue 8, item 4): N shards with {@code max_concurrency} M against the simulator, whose
 * gateway refuses (op 9) a second identify of a bucket within the real 5 s, with one gateway proxy process or two
 * ({@code gateway-proxy.jar} child JVMs, each half of the shards, sharing one nats-server). Measures the time from
 * launching the processes until every {@code /readyz} answers 200, against ⌈N/M⌉ × 5 s + 2 s, and from the
 * simulator's receipt times the period per round (the gap between two identifies of one bucket) and identifies
 * refused.
 *
 * <p>Usage: {@code java -cp bench/target/bench.jar dev.shardgate.bench.gateway.StartupBench [--out f.md] [--smoke]
 * [--jvm "<proxy JVM flags>"] [--proxy-jar <path>]}; {@code --smoke} runs N=8 M=4 only. Runs one configuration at a
 * time, each with its own nats-server and simulator, on the main thread.
 */
public final class StartupBench {
    private static final Duration PATIENCE = Duration.ofMinutes(10);
    private static final Duration IDENTIFY_WINDOW = Duration.ofSeconds(5);

    private record Result(int shards, int maxConcurrency, int processes, Duration toReady, Distribution gaps,
            Map<IdentifyRecord.Outcome, Long> refusals, Duration firstIdentify, Duration lastIdentify) {
        long refused() {
            return refusals.values().stream().mapToLong(Long::longValue).sum();
        }
        int rounds() {
            return (shards + maxConcurrency - 1) / maxConcurrency;
        }

        Duration goal() {
            return Duration.ofSeconds(5L * rounds() + 2);
        }
    }

    private StartupBench() {
    }

    public static void main(String[] args) {
        BenchMain.run(StartupBench.class, args, StartupBench::measure);
    }

    private static Fragment measure(BenchOptions options) throws Exception {
        if (options.jfr() != null) {
            throw new IllegalArgumentException("--jfr records one proxy; StartupBench runs two at once");
        }
        List<int[]> sizes = options.smoke() ? List.of(new int[] {8, 4})
                : List.of(new int[] {64, 4}, new int[] {200, 16});
        List<Result> results = new ArrayList<>();
        for (int[] size : sizes) {
            for (int processes = 1; processes <= 2; processes++) {
                results.add(run(options, size[0], size[1], processes));
            }
        }
        return fragment(options, results);
    }

    private static Result run(BenchOptions options, int shards, int maxConcurrency, int processes) throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
                Simulator sim = Simulator.builder().token("sim-token").shards(shards).maxConcurrency(maxConcurrency)
                        .guildsPerShard(0).start()) {
            List<ProxyChild> started = new ArrayList<>();
            try {
                long launchedAt = System.nanoTime();
                Instant launchedAtWall = Instant.now();
                for (int p = 0; p < processes; p++) {
                    int from = shards * p / processes;
                    int to = shards * (p + 1) / processes - 1;
                    started.add(ProxyChild.start(options, sim.apiUrl(), nats.url(),
                            Map.of("INSTANCE_ID", "bench-" + p, "SHARD_IDS", from + "-" + to)));
                }
                for (ProxyChild proxy : started) {
                    proxy.awaitReady(PATIENCE.minusNanos(System.nanoTime() - launchedAt));
                }
                Duration toReady = Duration.ofNanos(System.nanoTime() - launchedAt);
                List<IdentifyRecord> identifies = sim.gateway().identifies();
                Map<IdentifyRecord.Outcome, Long> refusals = identifies.stream()
                        .filter(r -> r.outcome() != IdentifyRecord.Outcome.ACCEPTED)
                        .collect(Collectors.groupingBy(IdentifyRecord::outcome, TreeMap::new, Collectors.counting()));
                List<Instant> accepted = identifies.stream().filter(r -> r.outcome() == IdentifyRecord.Outcome.ACCEPTED)
                        .map(IdentifyRecord::at).sorted().toList();
                return new Result(shards, maxConcurrency, processes, toReady, bucketGaps(identifies), refusals,
                        Duration.between(launchedAtWall, accepted.getFirst()),
                        Duration.between(launchedAtWall, accepted.getLast()));
            } finally {
                for (ProxyChild proxy : started) {
                    proxy.close();
                }
            }
        }
    }

    /** The gaps between consecutive accepted identifies of each bucket, by the simulator's receipt times. */
    private static Distribution bucketGaps(List<IdentifyRecord> identifies) {
        List<Long> gaps = new ArrayList<>();
        identifies.stream().filter(r -> r.outcome() == IdentifyRecord.Outcome.ACCEPTED)
                .collect(Collectors.groupingBy(IdentifyRecord::bucket)).values().forEach(bucket -> {
                    List<IdentifyRecord> inOrder = bucket.stream().sorted(Comparator.comparing(IdentifyRecord::at))
                            .toList();
                    for (int i = 1; i < inOrder.size(); i++) {
                        gaps.add(Duration.between(inOrder.get(i - 1).at(), inOrder.get(i).at()).toNanos());
                    }
                });
        return new Distribution(gaps.stream().mapToLong(Long::longValue).toArray());
    }

    private static Fragment fragment(BenchOptions options, List<Result> results) {
        Fragment f = new Fragment("Start-up at Discord's pace" + (options.smoke() ? " (smoke)" : ""));
        f.describe("N shards with `max_concurrency` M against the simulator (a second identify of a bucket within 5 s "
                + "of the last, by receipt time, is refused with op 9), one gateway proxy process "
                + "(`gateway-proxy.jar` as a child JVM) or two sharing one nats-server (each half of `SHARD_IDS`): "
                + "time from launching the JVMs until every `/readyz` is 200, and the gap between two identifies of "
                + "one bucket as the simulator received them (the period per round). One run each. Proxy JVM flags: "
                + options.jvmFlagsText() + ".");
        for (Result r : results) {
            String name = String.format(Locale.ROOT, "N=%d M=%d, %d process%s", r.shards(), r.maxConcurrency(),
                    r.processes(), r.processes() == 1 ? "" : "es");
            Distribution gaps = r.gaps();
            f.goal(name + ": all READY", String.format(Locale.ROOT, "%.2f s", seconds(r.toReady())),
                    String.format(Locale.ROOT, "≤ %d s (%d rounds × 5 s + 2 s)", r.goal().toSeconds(), r.rounds()),
                    r.toReady().compareTo(r.goal()) <= 0, String.format(Locale.ROOT, "the first identify reached the "
                            + "simulator %.2f s after launch (JVM start, NATS, /gateway/bot, leases, connect and "
                            + "Hello), and the %d periods between %d rounds, at a median of %.3f s, took %.1f s; the "
                            + "goal's 2 s slack covers the first, and the period's margin over 5 s adds up per round.",
                            seconds(r.firstIdentify()), r.rounds() - 1, r.rounds(), gaps.p50() / 1e3,
                            (r.rounds() - 1) * gaps.p50() / 1e3));
            f.info(name + ": first / last accepted identify after launch", String.format(Locale.ROOT,
                    "%.2f / %.2f s", seconds(r.firstIdentify()), seconds(r.lastIdentify())), "information");
            if (gaps.count() > 0) {
                double min = gaps.percentileMillis(0) / 1e3;
                f.goal(name + ": period per round, median / p99 / min", String.format(Locale.ROOT,
                        "%.3f / %.3f / %.3f s", gaps.p50() / 1e3, gaps.p99() / 1e3, min),
                        "≥ 5.000 s (min); 5.050 s window", min >= IDENTIFY_WINDOW.toMillis() / 1e3,
                        "two identifies of one bucket came closer than the simulator's 5 s window: the proxy's "
                                + "identify pacing let them out early.");
            }
            f.goal(name + ": identifies refused by the simulator", Long.toString(r.refused()), "0", r.refused() == 0,
                    "the simulator refused identifies: " + r.refusals() + " (CONCURRENCY_LIMITED: op 9, inside a "
                            + "bucket's 5 s, the proxy's pacing let it out early; REJECTED: closed for a bad token, "
                            + "shard or intents; TOKEN_RESET: no session starts left).");
        }
        return f;
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }
}
