package dev.shardgate.worker.example;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.testkit.NatsServerProcess;
import dev.shardgate.worker.Event;
import dev.shardgate.worker.EventStream;
import dev.shardgate.worker.FakeRestProxy;
import dev.shardgate.worker.Worker;
import dev.shardgate.worker.WorkerConfig;
import dev.shardgate.worker.WorkerState;
import dev.shardgate.worker.consume.DeadLetters;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The example bot of CONTRACT.md, fed events through JetStream, answering through a REST proxy stand-in. */
class ExampleBotTest {
    @Test
    void aRestProxyThatIsDownFailsTheHandlerVisiblyAndTheEventIsDeadLetteredNotLost() throws Exception {
        int metricsPort = NatsServerProcess.freePort();
        try (NatsServerProcess nats = NatsServerProcess.start();
                EventStream stream = new EventStream(nats.url(), "discord")) {
            stream.create();
            Worker.Builder builder = Worker.builder(WorkerConfig.from(Map.of("NATS_URL", nats.url(),
                    "REST_PROXY_URL", "http://127.0.0.1:" + NatsServerProcess.freePort() + "/api/v10",
                    "WORKER_METRICS_PORT", Integer.toString(metricsPort), "WORKER_MAX_DELIVERIES", "2",
                    "WORKER_RETRY_BACKOFF", "100ms")));
            Worker worker = new ExampleBot(builder.rest()).register(builder).build();
            worker.start();
            try {
                stream.publish(0, 1, "MESSAGE_CREATE", EventStream.message("!ping"));
                await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> stream.connection()
                        .jetStreamManagement().getStreamInfo(WorkerConfig.DEFAULT_DEAD_LETTER_STREAM)
                        .getStreamState().getMsgCount() == 1);
                var dead = stream.connection().jetStreamManagement()
                        .getLastMessage(WorkerConfig.DEFAULT_DEAD_LETTER_STREAM, "discord.deadletter.0.MESSAGE_CREATE");
                assertTrue(dead.getHeaders().getFirst(DeadLetters.ERROR).contains("unreachable"));

                HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertTrue(metrics.body().contains(
                        "shardgate_worker_events_total{outcome=\"failed\",type=\"MESSAGE_CREATE\"} 1.0"), metrics.body());
                assertTrue(metrics.body().contains(
                        "shardgate_worker_events_total{outcome=\"dead_lettered\",type=\"MESSAGE_CREATE\"} 1.0"));
                assertTrue(metrics.body().contains("status=\"unreachable\""));
                assertEquals(WorkerState.RUNNING, worker.state(), "the worker keeps serving");
            } finally {
                worker.drain();
            }
        }
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
            Worker worker = new ExampleBot(builder.rest()).register(builder).build();
            worker.start();
            try {
                stream.publish(0, 1, "MESSAGE_CREATE", EventStream.message("hello"));
                stream.publish(0, 2, "MESSAGE_CREATE",
                        "{\"channel_id\":\"5\",\"content\":\"!ping\",\"author\":{\"id\":\"8\",\"bot\":true}}");
                stream.publish(0, 3, "MESSAGE_CREATE", EventStream.message("!ping"));
                stream.publish(1, 1, "INTERACTION_CREATE",
                        "{\"id\":\"77\",\"token\":\"abc\",\"type\":2,\"data\":{\"name\":\"ping\"}}");

                await().atMost(Duration.ofSeconds(30)).until(() -> rest.requests().size() == 2);
                var byPath = rest.requests().stream()
                        .collect(java.util.stream.Collectors.toMap(FakeRestProxy.Request::path, r -> r));
                assertEquals("{\"content\":\"pong\"}", byPath.get("/api/v10/channels/42/messages").body());
                assertEquals(Event.JSON.readTree("{\"type\":4,\"data\":{\"content\":\"pong\"}}"),
                        Event.JSON.readTree(byPath.get("/api/v10/interactions/77/abc/callback").body()));
                await().atMost(Duration.ofSeconds(30)).until(() -> worker.registry().find("shardgate.worker.events")
                        .tag("outcome", "handled").counters().stream().mapToDouble(c -> c.count()).sum() == 4);
                assertEquals(2, rest.requests().size(), "the bot's own message and 'hello' got no answer");
            } finally {
                worker.drain();
            }
        }
    }
}
