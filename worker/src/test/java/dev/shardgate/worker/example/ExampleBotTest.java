package dev.shardgate.worker.example;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.testkit.NatsServerProcess;
import dev.shardgate.worker.DiscordPayloads;
import dev.shardgate.worker.EventStream;
import dev.shardgate.worker.FakeRestProxy;
import dev.shardgate.worker.Worker;
import dev.shardgate.worker.WorkerConfig;
import dev.shardgate.worker.WorkerState;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The example bot of CONTRACT.md, fed events through JetStream, answering through a REST proxy stand-in. */
@Tag("process")
class ExampleBotTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @Test
    void aRestProxyThatIsDownPausesAndRetriesVisiblyAndTheEventIsAnsweredOnceItComes() throws Exception {
        int metricsPort = NatsServerProcess.freePort();
        int restPort = NatsServerProcess.freePort();
        try (NatsServerProcess nats = NatsServerProcess.start();
                EventStream stream = new EventStream(nats.url(), "discord")) {
            stream.create();
            Worker.Builder builder = Worker.builder(WorkerConfig.from(Map.of("NATS_URL", nats.url(),
                    "REST_PROXY_URL", "http://127.0.0.1:" + restPort + "/api/v10",
                    "WORKER_METRICS_PORT", Integer.toString(metricsPort), "WORKER_MAX_DELIVERIES", "2",
                    "WORKER_RETRY_BACKOFF", "100ms")));
            Worker worker = new ExampleBot().register(builder).build();
            worker.start();
            try {
                stream.publish(0, 1, "MESSAGE_CREATE", DiscordPayloads.message("42", "!ping", false));
                // more failures than WORKER_MAX_DELIVERIES, all while the proxy is away: none spends a delivery
                await().atMost(Duration.ofSeconds(30)).until(() -> scrape(metricsPort)
                        .contains("shardgate_worker_transient_retries_total{type=\"MESSAGE_CREATE\"} 3.0"));
                String metrics = scrape(metricsPort);
                assertTrue(metrics.contains("shardgate_worker_pulls_paused 1.0"), metrics);
                assertTrue(metrics.contains("status=\"unreachable\""), metrics);
                assertEquals(WorkerState.RUNNING, worker.state(), "the worker keeps serving");

                try (FakeRestProxy rest = new FakeRestProxy(restPort)) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> scrape(metricsPort)
                            .contains("shardgate_worker_events_total{outcome=\"handled\",type=\"MESSAGE_CREATE\"} 1.0"));
                    assertEquals(1, rest.requests().size());
                    assertEquals(0, stream.connection().jetStreamManagement()
                            .getStreamInfo(WorkerConfig.DEFAULT_DEAD_LETTER_STREAM).getStreamState().getMsgCount());
                    assertTrue(scrape(metricsPort).contains("shardgate_worker_pulls_paused 0.0"));
                    assertFalse(scrape(metricsPort).contains("outcome=\"failed\""), "no delivery was spent");
                }
            } finally {
                worker.drain();
            }
        }
    }

    private static String scrape(int port) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void answersPingMessagesAndThePingCommandAndIgnoresTheRest() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
                EventStream stream = new EventStream(nats.url(), "discord");
                FakeRestProxy rest = new FakeRestProxy()) {
            stream.create();
            // Interactions older than 3 s are skipped by default; a slow machine must not make this one "old".
            Worker.Builder builder = Worker.builder(WorkerConfig.from(Map.of("NATS_URL", nats.url(),
                    "REST_PROXY_URL", rest.url(), "WORKER_METRICS_PORT", "0",
                    "WORKER_MAX_AGE_INTERACTION_CREATE", "10m")));
            Worker worker = new ExampleBot().register(builder).build();
            worker.start();
            try {
                stream.publish(0, 1, "MESSAGE_CREATE", DiscordPayloads.message("42", "hello", false));
                stream.publish(0, 2, "MESSAGE_CREATE", DiscordPayloads.message("5", "!ping", true));
                stream.publish(0, 3, "MESSAGE_CREATE", DiscordPayloads.message("42", "!ping", false));
                long id = DiscordPayloads.freshId();
                stream.publish(1, 1, "INTERACTION_CREATE", DiscordPayloads.command(id, "ping"));

                await().atMost(Duration.ofSeconds(30)).until(() -> rest.requests().size() == 2);
                var byPath = rest.requests().stream()
                        .collect(java.util.stream.Collectors.toMap(FakeRestProxy.Request::path, r -> r));
                assertEquals("{\"content\":\"pong\"}", byPath.get("/api/v10/channels/42/messages").body());
                assertEquals(JSON.readTree("{\"type\":4,\"data\":{\"content\":\"pong\"}}"),
                        JSON.readTree(byPath.get("/api/v10/interactions/" + id + "/abc/callback").body()));
                await().atMost(Duration.ofSeconds(30)).until(() -> worker.registry().find("shardgate.worker.events")
                        .tag("outcome", "handled").counters().stream().mapToDouble(c -> c.count()).sum() == 4);
                assertEquals(2, rest.requests().size(), "the bot's own message and 'hello' got no answer");
            } finally {
                worker.drain();
            }
        }
    }
}
