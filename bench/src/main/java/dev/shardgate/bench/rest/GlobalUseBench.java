package dev.shardgate.bench.rest;

import dev.shardgate.bench.support.BenchMain;
import dev.shardgate.bench.support.BenchOptions;
import dev.shardgate.bench.support.Fragment;
import dev.shardgate.bench.support.ProxyChild;
import dev.shardgate.simulator.rest.RateLimitScope;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * How much of Discord's global limit the REST role uses when Discord is some way off (issue 10, deliverable 2): the
 * simulator's REST API in this JVM with a global limit of 50 a second and every answer delayed by a random 20–40 ms
 * (then 80–120 ms), the proxy ({@code gateway-proxy.jar}, {@code ROLES=rest}) as a child JVM in front of it, and
 * more clients than the limit lets through, each sending {@code GET /channels/{id}} over many channels (so only the
 * global limit governs) as soon as its last one is answered. Requests answered per second over the window, against
 * the 50 the limit allows, and the simulator's 429s (must be 0).
 *
 * <p>Usage: {@code java -cp bench/target/bench.jar dev.shardgate.bench.rest.GlobalUseBench [--out f.md] [--smoke]
 * [--jvm "<proxy JVM flags>"]}. Runs on its main thread.
 */
public final class GlobalUseBench {
    private static final String TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.bench.not-a-real-token";
    private static final int LIMIT = 50;
    private static final int CLIENTS = 200;
    private static final long CHANNEL_BASE = 970_000_000_000_000_000L;
    private static final List<String> PATHS = IntStream.range(0, 4_000)
            .mapToObj(i -> "/channels/" + (CHANNEL_BASE + i)).toList();

    private GlobalUseBench() {
    }

    /** A latency band and the share of the limit it should reach. */
    private record Band(int minMillis, int maxMillis, double goal) {
    }

    public static void main(String[] args) {
        BenchMain.run(GlobalUseBench.class, args, GlobalUseBench::measure);
    }

    private static Fragment measure(BenchOptions options) throws Exception {
        Duration warmUp = options.smoke() ? Duration.ofSeconds(2) : Duration.ofSeconds(5);
        Duration window = options.smoke() ? Duration.ofSeconds(4) : Duration.ofSeconds(30);
        Fragment f = new Fragment("REST role: the global limit used with Discord far away");
        f.describe(String.format(Locale.ROOT, "The simulator's REST API (global limit %d a second per bot token) with "
                + "every answer delayed by a random time in the band (counted when it arrives, so the delay is on the "
                + "way back); the proxy (`gateway-proxy.jar`, `ROLES=rest`, `REST_GLOBAL_LIMIT=%d`, a child JVM) in "
                + "front of it; %d clients each sending `GET /channels/{id}` over %,d channels (only the global limit "
                + "governs) as soon as their last is answered. %d s of warm-up, then %d s measured per band. Before "
                + "this change a slot was held a window after the answer, which allows at most 1 / (1 s + margin + "
                + "round trip) of the limit. Proxy JVM flags: %s.", LIMIT, LIMIT, CLIENTS, PATHS.size(),
                warmUp.toSeconds(), window.toSeconds(), options.jvmFlagsText()));
        for (Band band : List.of(new Band(20, 40, 0.97), new Band(80, 120, 0.95))) {
            try (SimulatedRest sim = new SimulatedRest(TOKEN, LIMIT);
                    ProxyChild proxy = ProxyChild.startRestRole(options, sim.url().toString(), Map.of(
                            "DISCORD_TOKEN", TOKEN, "REST_GLOBAL_LIMIT", Integer.toString(LIMIT)))) {
                sim.rest.faults().latency(Duration.ofMillis(band.minMillis()), Duration.ofMillis(band.maxMillis()));
                proxy.awaitReady(Duration.ofSeconds(60));
                URI proxied = URI.create(proxy.restUrl());
                ClosedLoopLoad.run(proxied, null, PATHS, CLIENTS, warmUp);
                ClosedLoopLoad.Result run = ClosedLoopLoad.run(proxied, null, PATHS, CLIENTS, window);
                double perSecond = (run.requests() - run.failed()) / run.seconds();
                double used = perSecond / LIMIT;
                String name = String.format(Locale.ROOT, "%d–%d ms away", band.minMillis(), band.maxMillis());
                double before = 1 / (1 + 0.025 + (band.minMillis() + band.maxMillis()) / 2000.0);
                f.goal(name + ": share of the global limit used", String.format(Locale.ROOT, "%.3f (%.1f a second)",
                        used, perSecond), String.format(Locale.ROOT, "≥ %.2f (a slot held a window after the "
                        + "answer: at most %.3f)", band.goal(), before), used >= band.goal(),
                        "the slots are held a window plus the round trips' spread after their departure; a wider "
                        + "spread (the machine's own jitter under load) holds them longer");
                f.goal(name + ": 429s at the simulator; failed requests", sim.rateLimited() + "; " + run.failed(),
                        "0; 0", sim.rateLimited() == 0 && run.failed() == 0,
                        sim.rest.observations().rateLimited(RateLimitScope.GLOBAL) + " of them global");
            }
        }
        if (options.smoke()) {
            f.note("Smoke run: " + window.toSeconds() + " s windows; not a measurement.");
        }
        return f;
    }
}
