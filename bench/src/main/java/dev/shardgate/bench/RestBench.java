package dev.shardgate.bench;

import com.sun.net.httpserver.HttpServer;
import dev.shardgate.protocol.BotToken;
import dev.shardgate.protocol.Snowflake;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.config.ConfigSource;
import dev.shardgate.proxy.rest.RestConfig;
import dev.shardgate.proxy.rest.RestHeaders;
import dev.shardgate.proxy.rest.RestProxy;
import dev.shardgate.simulator.rest.RateLimitScope;
import dev.shardgate.simulator.rest.RestSettings;
import dev.shardgate.simulator.rest.RestSimulator;
import dev.shardgate.simulator.rest.RouteBucket;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The REST proxy against the Discord simulator, on this machine: 429s by scope, utilisation of the limits, and
 * the latency the proxy adds. Not a test: it prints numbers. Run it with {@code scripts/bench-rest.sh [seconds]}.
 */
public final class RestBench {
    private static final String TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.bench.not-a-real-token";
    private static final int CHANNELS = 50;
    private static final long CHANNEL_BASE = 940_000_000_000_000_000L;

    private record Outcome(int status, boolean generated, boolean exempt, long sentNanos, long doneNanos) { }

    private RestBench() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        Logger.getLogger("").setLevel(Level.WARNING);
        Arrays.stream(Logger.getLogger("").getHandlers()).forEach(h -> h.setLevel(Level.WARNING));
        System.out.printf(Locale.ROOT, "Shardgate REST proxy benchmark (simulator on 127.0.0.1, %d cores, Java %s)%n%n",
                Runtime.getRuntime().availableProcessors(), Runtime.version());
        mixedLoad(seconds);
        burst();
        addedLatency();
    }

    /** A realistic mix offered at 80 requests/s for a token whose global limit is 50/s. */
    private static void mixedLoad(int seconds) throws Exception {
        try (Sim sim = new Sim(RestSettings.defaults()); Proxy proxy = new Proxy(sim, Map.of("REST_MAX_WAIT", "30s"))) {
            long messageBase = Snowflake.fromTimestampMillis(System.currentTimeMillis() - 60_000);
            for (int c = 0; c < CHANNELS; c++) {
                sim.rest.putMessage(CHANNEL_BASE + c, messageBase + c, "react to me");
            }
            int rate = 80;
            int total = rate * seconds;
            List<CompletableFuture<Outcome>> pending = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < total; i++) {
                long due = start + i * 1_000_000_000L / rate;
                long sleep = due - System.nanoTime();
                if (sleep > 0) {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                }
                long channel = CHANNEL_BASE + (i * 7L) % CHANNELS;
                int kind = i % 20;
                HttpRequest.Builder r;
                boolean exempt = false;
                if (kind < 7) {
                    r = proxy.request("/channels/" + channel + "/messages").header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"load " + i + "\"}"));
                } else if (kind < 12) {
                    r = proxy.request("/channels/" + channel + "/messages?limit=10").GET();
                } else if (kind < 15) {
                    r = proxy.request("/channels/" + channel).GET();
                } else if (kind < 17) {
                    r = proxy.request("/channels/" + channel + "/messages/" + (messageBase + (channel - CHANNEL_BASE))
                            + "/reactions/%F0%9F%91%8D/@me").PUT(HttpRequest.BodyPublishers.noBody());
                } else if (kind < 19) {
                    exempt = true;
                    r = proxy.request("/interactions/" + (1_200_000_000_000_000_000L + i)
                            + "/aW50ZXJhY3Rpb246YmVuY2g/callback").header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"type\":4,\"data\":{\"content\":\"pong\"}}"));
                } else {
                    r = proxy.request("/users/@me").GET();
                }
                pending.add(proxy.send(r.build(), exempt));
            }
            List<Outcome> outcomes = pending.stream().map(CompletableFuture::join).toList();
            List<Outcome> limited = outcomes.stream().filter(o -> !o.exempt && !o.generated && o.status < 400).toList();
            long first = outcomes.stream().mapToLong(Outcome::sentNanos).min().orElse(0);
            long last = limited.stream().mapToLong(Outcome::doneNanos).max().orElse(first);
            double busy = (last - first) / 1e9;
            // Demand that the buckets allow (about 69/s) exceeds the global limit for the whole offering phase.
            long inPhase = limited.stream().filter(o -> o.doneNanos - first <= seconds * 1_000_000_000L).count();
            double allowed = 50.0 * seconds;
            System.out.printf(Locale.ROOT, "1. Mixed load: %d requests offered at %d/s for %d s over %d channels "
                    + "(35%% create message, 25%% list messages, 15%% get channel, 10%% reactions, 10%% interaction "
                    + "callbacks, 5%% /users/@me, whose bucket allows 1/s); global limit 50/s%n", total, rate, seconds,
                    CHANNELS);
            System.out.printf(Locale.ROOT, "   answered by Discord: %d (%d of them global-limited) in %.1f s%n",
                    outcomes.stream().filter(o -> !o.generated).count(), limited.size(), busy);
            System.out.printf(Locale.ROOT, "   global-limit utilisation while demand exceeded it (first %d s): %.1f%% "
                    + "(%d answered / %.0f allowed); busiest second at Discord: %d requests%n", seconds,
                    100.0 * inPhase / allowed, inPhase, allowed, sim.rest.observations().maxRequestsPerSecondOfToken(TOKEN));
            System.out.printf(Locale.ROOT, "   proxy-generated 429s (could not be sent within REST_MAX_WAIT=30s): %d%n",
                    outcomes.stream().filter(o -> o.generated && o.status == 429).count());
            System.out.printf(Locale.ROOT, "   interaction callbacks: %d, slowest %.1f ms%n",
                    outcomes.stream().filter(Outcome::exempt).count(), outcomes.stream().filter(Outcome::exempt)
                            .mapToLong(o -> o.doneNanos - o.sentNanos).max().orElse(0) / 1e6);
            System.out.println("   429s from Discord by scope: " + sim.rateLimited() + "\n");
        }
    }

    /** 100 messages at once to one channel whose bucket is 10 per second. */
    private static void burst() throws Exception {
        try (Sim sim = new Sim(RestSettings.defaults()); Proxy proxy = new Proxy(sim, Map.of("REST_MAX_WAIT", "60s"))) {
            sim.rest.setBucketLimit(RouteBucket.CREATE_MESSAGE, 10, Duration.ofSeconds(1));
            List<CompletableFuture<Outcome>> pending = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                pending.add(proxy.send(proxy.request("/channels/" + CHANNEL_BASE + "/messages")
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"content\":\"burst " + i + "\"}")).build(), false));
            }
            List<Outcome> outcomes = pending.stream().map(CompletableFuture::join).toList();
            long first = outcomes.stream().mapToLong(Outcome::sentNanos).min().orElse(0);
            long lastSent = outcomes.stream().mapToLong(Outcome::doneNanos).max().orElse(0);
            double elapsed = (lastSent - first) / 1e9;
            // A fixed window of 10 per second lets the 100th request go at the earliest 9 s after the first.
            System.out.printf(Locale.ROOT, "2. Burst: 100 messages at once to one channel, bucket 10 per 1 s%n");
            System.out.printf(Locale.ROOT, "   %d succeeded in %.2f s; the limit allows it in 9.00 s plus one answer: "
                    + "bucket utilisation %.1f%%%n", outcomes.stream().filter(o -> o.status == 200).count(), elapsed,
                    100.0 * 9.0 / Math.max(9.0, elapsed - latency(outcomes)));
            System.out.println("   429s from Discord by scope: " + sim.rateLimited() + "\n");
        }
    }

    private static double latency(List<Outcome> outcomes) {
        return outcomes.stream().mapToLong(o -> o.doneNanos - o.sentNanos).min().orElse(0) / 1e9;
    }

    /** Requests that never wait (each to a fresh channel, well under the global limit): direct and through the proxy. */
    private static void addedLatency() throws Exception {
        try (Sim sim = new Sim(RestSettings.defaults()); Proxy proxy = new Proxy(sim, Map.of())) {
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            int n = 400;
            long[] direct = new long[n];
            long[] proxied = new long[n];
            for (int i = 0; i < n; i++) {
                direct[i] = timed(client, HttpRequest.newBuilder(URI.create(sim.url() + "/channels/" + (950_000_000_000_000_000L + i)))
                        .header("Authorization", "Bot " + TOKEN).GET().build());
                proxied[i] = timed(client, proxy.request("/channels/" + (960_000_000_000_000_000L + i)).GET().build());
                Thread.sleep(40);
            }
            Arrays.sort(direct);
            Arrays.sort(proxied);
            System.out.printf(Locale.ROOT, "3. Added latency: %d sequential GET /channels/{id} that never wait, 25/s%n", n);
            System.out.printf(Locale.ROOT, "   direct to the simulator: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms%n",
                    pct(direct, 50), pct(direct, 90), pct(direct, 99));
            System.out.printf(Locale.ROOT, "   through the proxy:       p50 %.2f ms, p90 %.2f ms, p99 %.2f ms%n",
                    pct(proxied, 50), pct(proxied, 90), pct(proxied, 99));
            System.out.printf(Locale.ROOT, "   added at the median: %.2f ms; the proxy's own time (shardgate_rest_overhead):",
                    pct(proxied, 50) - pct(direct, 50));
            Timer overhead = proxy.registry.find("shardgate.rest.overhead").timer();
            for (ValueAtPercentile v : overhead.takeSnapshot().percentileValues()) {
                System.out.printf(Locale.ROOT, " p%.0f %.2f ms", v.percentile() * 100, v.value(java.util.concurrent.TimeUnit.MILLISECONDS));
            }
            System.out.println();
            System.out.println("   429s from Discord by scope: " + sim.rateLimited());
        }
    }

    private static long timed(HttpClient client, HttpRequest request) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("unexpected " + r.statusCode() + ": " + new String(r.body()));
        }
        return System.nanoTime() - t0;
    }

    private static double pct(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, sorted.length * p / 100)] / 1e6;
    }

    /** The simulator's REST side on a free port. */
    private static final class Sim implements AutoCloseable {
        final RestSimulator rest;
        private final HttpServer server;
        private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

        Sim(RestSettings settings) throws IOException {
            rest = new RestSimulator(TOKEN, settings, Clock.systemUTC());
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
            server.createContext("/api/v10/", rest);
            server.setExecutor(executor);
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/v10";
        }

        Map<RateLimitScope, Long> rateLimited() {
            Map<RateLimitScope, Long> counts = new EnumMap<>(RateLimitScope.class);
            for (RateLimitScope s : RateLimitScope.values()) {
                counts.put(s, rest.observations().rateLimited(s));
            }
            return counts;
        }

        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow();
        }
    }

    /** A REST proxy in front of the simulator, and a client for it. */
    private static final class Proxy implements AutoCloseable {
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        private final RestProxy proxy;
        private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();

        Proxy(Sim sim, Map<String, String> env) throws IOException {
            proxy = RestProxy.start(RestConfig.from(ConfigSource.of(env)), BotToken.of(TOKEN), URI.create(sim.url()),
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), registry, List.of(),
                    new Subjects("discord"));
        }

        HttpRequest.Builder request(String path) {
            return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/api/v10" + path))
                    .timeout(Duration.ofSeconds(120));
        }

        CompletableFuture<Outcome> send(HttpRequest request, boolean exempt) {
            long sent = System.nanoTime();
            return client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).thenApply(r -> new Outcome(
                    r.statusCode(), r.headers().firstValue(RestHeaders.GENERATED).isPresent(), exempt, sent,
                    System.nanoTime()));
        }

        @Override
        public void close() {
            proxy.close();
            client.shutdownNow();
        }
    }
}
