package dev.shardgate.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.shardgate.testkit.NatsServerProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.ConnectionListener;
import io.nats.client.Options;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** An application embedding the library brings its own registry, NATS options and JSON mapper; no port opens. */
@Tag("process")
class EmbeddingTest {
    /** Bound with the application's mapper, which names fields in snake case. */
    record Message(String channelId, String content) {
    }

    @Test
    void theApplicationsRegistryOptionsAndMapperAreUsedAndNoPortOpens() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
                EventStream stream = new EventStream(nats.url(), "discord")) {
            stream.create();
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            ObjectMapper mapper = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                    .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
            List<ConnectionListener.Events> heard = new CopyOnWriteArrayList<>();
            Options options = Options.builder().server(nats.url()).connectionName("my-app")
                    .connectionListener((conn, event) -> heard.add(event)).build();
            List<Message> seen = new CopyOnWriteArrayList<>();
            // NATS_URL is not set: the application's options say where NATS is
            Worker worker = Worker.builder(WorkerConfig.from(Map.of())).meterRegistry(registry).json(mapper)
                    .natsOptions(options).on("MESSAGE_CREATE", e -> seen.add(e.as(Message.class))).build();
            try {
                worker.start();
                assertEquals(0, worker.metricsPort(), "no port unless WORKER_METRICS_PORT asks for one");
                stream.publish(0, 1, "MESSAGE_CREATE", EventStream.message("hello"));
                await().atMost(Duration.ofSeconds(30)).until(() -> !seen.isEmpty());
                assertEquals(new Message("42", "hello"), seen.get(0));
                assertTrue(heard.contains(ConnectionListener.Events.CONNECTED), "the application's listener still hears");
                await().atMost(Duration.ofSeconds(30)).until(() -> registry.find("shardgate.worker.events")
                        .tag("outcome", "handled").counter() != null);
                assertEquals(1, registry.get("shardgate.worker.events").tag("outcome", "handled").counter().count());
            } finally {
                worker.drain();
            }
        }
    }

    @Test
    void aMetricsPortWithARegistryThatCannotBeScrapedIsRefusedClearly() {
        Worker worker = Worker.builder(WorkerConfig.from(Map.of("WORKER_METRICS_PORT", "1")))
                .meterRegistry(new SimpleMeterRegistry()).build();
        IllegalStateException e = assertThrows(IllegalStateException.class, worker::start);
        assertTrue(e.getMessage().contains("serve it yourself and set WORKER_METRICS_PORT=0"), e.getMessage());
    }

    @Test
    void theRegistryAndMapperAreSetBeforeTheClientsAreMade() {
        Worker.Builder builder = Worker.builder(WorkerConfig.from(Map.of()));
        builder.rest();
        assertThrows(IllegalStateException.class, () -> builder.json(new ObjectMapper()));
    }
}
