package dev.shardgate.bench.nats;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.bench.support.BenchMain;
import dev.shardgate.bench.support.BenchOptions;
import dev.shardgate.bench.support.Fragment;
import dev.shardgate.testkit.NatsServerProcess;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.Nats;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * What the event stream's duplicate window costs the NATS server in memory: the server keeps every message id of
 * the window in memory, and the proxy sets one per event ({@code {shard}:{session_id}:{seq}}). Publishes the same
 * events to a fresh server twice, with and without message ids, and reads the server's resident memory from its
 * monitoring endpoint ({@code /varz}); the difference per event is the cost of one remembered id. Median of runs.
 *
 * <p>Usage: {@code scripts/bench-nats.sh [--smoke] [--out f.md]} (300,000 events per run, 3 runs; smoke: 20,000, 1).
 * Runs on its main thread.
 */
public final class DedupeWindowBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SESSION = "2c0b0b8f4a1e9d6e3f7a5b1c8d2e4f60";
    private static final int SHARDS = 64;

    public static void main(String[] args) {
        BenchMain.run(DedupeWindowBench.class, args, DedupeWindowBench::measure);
    }

    private static Fragment measure(BenchOptions options) throws Exception {
        int events = options.smoke() ? 20_000 : 300_000;
        int runs = options.smoke() ? 1 : 3;
        List<Double> perId = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
            long withIds = serverMemoryGrowth(events, true);
            long without = serverMemoryGrowth(events, false);
            perId.add((withIds - without) / (double) events);
        }
        perId.sort(null);
        double median = perId.get(perId.size() / 2);
        Fragment f = new Fragment("NATS: what the duplicate window costs the server");
        f.describe(String.format(Locale.ROOT, "The server keeps every message id of the duplicate window in memory, "
                + "and the proxy sets one per event. %,d small events are published to a fresh nats-server twice, "
                + "with and without `Nats-Msg-Id`; the difference in the server's resident memory (`/varz` `mem`) per "
                + "event is the cost of one remembered id. Median of %d run(s): %s bytes.", events, runs,
                perId.stream().map(b -> String.format(Locale.ROOT, "%.0f", b)).toList()));
        f.info("server memory per message id in the duplicate window", String.format(Locale.ROOT, "%.0f bytes",
                median), "information (sizing below)");
        for (int rate : new int[] {100, 1_000, 10_000}) {
            for (int minutes : new int[] {2, 10}) {
                long ids = (long) rate * minutes * 60;
                f.info(String.format(Locale.ROOT, "ids kept at %,d events/s, %d min window", rate, minutes),
                        String.format(Locale.ROOT, "%,d ids, %,d MB", ids, (long) (ids * median) >> 20),
                        "information");
            }
        }
        if (options.smoke()) {
            f.note("Smoke run: " + events + " events, 1 run; not a measurement.");
        }
        return f;
    }

    /** Resident memory the server gained while storing {@code events} small events. */
    private static long serverMemoryGrowth(int events, boolean withIds) throws Exception {
        int monitorPort = NatsServerProcess.freePort();
        try (NatsServerProcess server = NatsServerProcess.startWithConfig("http_port: " + monitorPort);
                Connection nats = Nats.connect(server.url())) {
            nats.jetStreamManagement().addStream(StreamConfiguration.builder().name("DISCORD_EVENTS")
                    .subjects("discord.events.>").storageType(StorageType.File)
                    .duplicateWindow(Duration.ofMinutes(10)).build());
            JetStream js = nats.jetStream();
            long before = serverMemory(monitorPort);
            byte[] body = new byte[200];
            ArrayDeque<CompletableFuture<PublishAck>> inFlight = new ArrayDeque<>();
            for (int i = 0; i < events; i++) {
                int shard = i % SHARDS;
                Headers headers = new Headers();
                if (withIds) {
                    headers.put("Nats-Msg-Id", shard + ":" + SESSION + ":" + i);
                }
                inFlight.add(js.publishAsync(NatsMessage.builder().subject("discord.events." + shard
                        + ".MESSAGE_CREATE").headers(headers).data(body).build()));
                if (inFlight.size() > 2_000) {
                    inFlight.poll().get();
                }
            }
            while (!inFlight.isEmpty()) {
                inFlight.poll().get();
            }
            Thread.sleep(1_000); // let the server settle before reading its memory
            return serverMemory(monitorPort) - before;
        }
    }

    private static long serverMemory(int monitorPort) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            String varz = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + monitorPort + "/varz"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            return JSON.readTree(varz).get("mem").asLong();
        }
    }
}
