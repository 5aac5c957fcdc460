package dev.shardgate.bench.gateway;

import dev.shardgate.proxy.ProxyMain;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.IdentifyRecord;
import dev.shardgate.testkit.JavaProcess;
import dev.shardgate.testkit.NatsServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Start-up at Discord's pace (issue 8, item 4): N shards with {@code max_concurrency} M against the simulator, whose
 * gateway refuses (op 9) a second identify of a bucket within the real 5 s, with one gateway proxy process or two
 * (each half of the shards, sharing one nats-server). Measures the time from launching the processes until every
 * {@code /readyz} answers 200, against ⌈N/M⌉ × 5 s + 2 s, and from the simulator's receipt times the period per
 * round (the gap between two identifies of one bucket) and identifies refused.
 *
 * <p>{@code --smoke}: N=8 M=4 only. {@code --out file.md}: write the fragment there. Runs one configuration at a
 * time, each with its own nats-server and simulator.
 */
public final class StartupBench {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration PATIENCE = Duration.ofMinutes(10);

    private record Result(int shards, int maxConcurrency, int processes, Duration toReady, List<Duration> gaps,
            long refused) {
        int rounds() {
            return (shards + maxConcurrency - 1) / maxConcurrency;
        }

        Duration goal() {
            return Duration.ofSeconds(5L * rounds() + 2);
        }

        Duration gap(double quantile) {
            List<Duration> sorted = gaps.stream().sorted().toList();
            return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(quantile * sorted.size())));
        }
    }

    private StartupBench() {
    }

    public static void main(String[] args) throws Exception {
        boolean smoke = List.of(args).contains("--smoke");
        int outAt = List.of(args).indexOf("--out");
        Path out = outAt >= 0 && outAt + 1 < args.length ? Path.of(args[outAt + 1]) : null;
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        List<int[]> sizes = smoke ? List.of(new int[] {8, 4}) : List.of(new int[] {64, 4}, new int[] {200, 16});
        List<Result> results = new ArrayList<>();
        for (int[] size : sizes) {
            for (int processes = 1; processes <= 2; processes++) {
                results.add(run(size[0], size[1], processes));
            }
        }
        String fragment = fragment(results);
        if (out == null) {
            System.out.print(fragment);
        } else {
            Files.writeString(out, fragment);
        }
    }

    private static Result run(int shards, int maxConcurrency, int processes) throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
                Simulator sim = Simulator.builder().token("sim-token").shards(shards).maxConcurrency(maxConcurrency)
                        .guildsPerShard(0).start()) {
            List<JavaProcess> started = new ArrayList<>();
            List<Integer> adminPorts = new ArrayList<>();
            try {
                long launchedAt = System.nanoTime();
                for (int p = 0; p < processes; p++) {
                    int from = shards * p / processes;
                    int to = shards * (p + 1) / processes - 1;
                    int adminPort = NatsServerProcess.freePort();
                    adminPorts.add(adminPort);
                    started.add(JavaProcess.start(ProxyMain.class, Map.of("DISCORD_TOKEN", "sim-token",
                            "DISCORD_API_URL", sim.apiUrl(), "NATS_URL", nats.url(), "ROLES", "gateway",
                            "ADMIN_PORT", Integer.toString(adminPort), "INSTANCE_ID", "bench-" + p,
                            "SHARD_IDS", from + "-" + to)));
                }
                for (int port : adminPorts) {
                    awaitReady(port, launchedAt);
                }
                Duration toReady = Duration.ofNanos(System.nanoTime() - launchedAt);
                List<IdentifyRecord> identifies = sim.gateway().identifies();
                long refused = identifies.stream().filter(r -> r.outcome() != IdentifyRecord.Outcome.ACCEPTED).count();
                List<Duration> gaps = new ArrayList<>();
                identifies.stream().filter(r -> r.outcome() == IdentifyRecord.Outcome.ACCEPTED)
                        .collect(Collectors.groupingBy(IdentifyRecord::bucket)).values().forEach(bucket -> {
                            List<IdentifyRecord> inOrder = bucket.stream()
                                    .sorted(Comparator.comparing(IdentifyRecord::at)).toList();
                            for (int i = 1; i < inOrder.size(); i++) {
                                gaps.add(Duration.between(inOrder.get(i - 1).at(), inOrder.get(i).at()));
                            }
                        });
                return new Result(shards, maxConcurrency, processes, toReady, gaps, refused);
            } finally {
                started.forEach(JavaProcess::close);
            }
        }
    }

    private static void awaitReady(int adminPort, long launchedAt) throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/readyz"))
                .timeout(Duration.ofSeconds(2)).build();
        while (true) {
            try {
                if (HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // the JVM is still starting
            }
            if (System.nanoTime() - launchedAt > PATIENCE.toNanos()) {
                throw new IllegalStateException("proxy on admin port " + adminPort + " not ready after " + PATIENCE);
            }
            Thread.sleep(20);
        }
    }

    private static String fragment(List<Result> results) {
        StringBuilder md = new StringBuilder("## Start-up at Discord's pace\n\n");
        md.append("N shards with `max_concurrency` M against the simulator (a second identify of a bucket within 5 s "
                + "of the last, by receipt time, is refused with op 9), one gateway proxy process or two sharing one "
                + "nats-server (each half of `SHARD_IDS`): time from launching the JVMs until every `/readyz` is "
                + "200, and the gap between two identifies of one bucket as the simulator received them (the period "
                + "per round). One run each.\n\n");
        md.append("| figure | measured | goal or peer | verdict |\n|---|---|---|---|\n");
        List<String> limits = new ArrayList<>();
        for (Result r : results) {
            String name = String.format(Locale.ROOT, "N=%d M=%d, %d process%s", r.shards(), r.maxConcurrency(),
                    r.processes(), r.processes() == 1 ? "" : "es");
            boolean meets = r.toReady().compareTo(r.goal()) <= 0;
            md.append(String.format(Locale.ROOT, "| %s: all READY | %.2f s | ≤ %d s (%d rounds × 5 s + 2 s) | %s |%n",
                    name, secs(r.toReady()), r.goal().toSeconds(), r.rounds(), meets ? "meets" : "misses"));
            if (!r.gaps().isEmpty()) {
                md.append(String.format(Locale.ROOT, "| %s: period per round, median / p99 / min | %.3f / %.3f / "
                        + "%.3f s | ≥ 5.000 s (min); 5.050 s window | %s |%n", name, secs(r.gap(0.5)),
                        secs(r.gap(0.99)), secs(r.gap(0)), r.gap(0).compareTo(Duration.ofSeconds(5)) >= 0
                                ? "meets" : "misses"));
            }
            md.append(String.format(Locale.ROOT, "| %s: identifies refused by the simulator | %d | 0 | %s |%n", name,
                    r.refused(), r.refused() == 0 ? "meets" : "misses"));
            if (!meets) {
                limits.add(String.format(Locale.ROOT, "%s: %d rounds at the measured period take %.1f s before the "
                        + "last identify; the goal's 2 s slack covers JVM start, NATS and /gateway/bot, and the "
                        + "period's margin over 5 s adds up per round.", name, r.rounds(),
                        (r.rounds() - 1) * secs(r.gap(0.5))));
            }
        }
        limits.forEach(l -> md.append("\n").append(l).append('\n'));
        return md.toString();
    }

    private static double secs(Duration d) {
        return d.toNanos() / 1e9;
    }
}
