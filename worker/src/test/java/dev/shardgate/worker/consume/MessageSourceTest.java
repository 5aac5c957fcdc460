package dev.shardgate.worker.consume;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.shardgate.testkit.NatsServerProcess;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Fetches against a real nats-server: an idle consumer's expired fetches end quietly. */
@Tag("process")
class MessageSourceTest {

    @Test
    void expiredFetchesOfAnIdleConsumerRaiseNoHeartbeatAlarms() throws Exception {
        AtomicInteger alarms = new AtomicInteger();
        ErrorListener listener = new ErrorListener() {
            @Override
            public void heartbeatAlarm(Connection conn, JetStreamSubscription sub, long lastStreamSequence,
                    long lastConsumerSequence) {
                alarms.incrementAndGet();
            }
        };
        try (NatsServerProcess nats = NatsServerProcess.start();
                Connection connection = Nats.connect(new Options.Builder().server(nats.url())
                        .errorListener(listener).build())) {
            connection.jetStreamManagement().addStream(StreamConfiguration.builder().name("EVENTS")
                    .subjects("events.>").storageType(StorageType.Memory).build());
            MessageSource source = new Consumers(connection, "EVENTS", Duration.ofSeconds(5))
                    .open("idle", "events.>", 1);
            for (int i = 0; i < 3; i++) {
                source.fetch(1, MessageSource.MIN_PULL);
                assertNull(source.next(), "nothing was published");
            }
            // a fetch left open alarms once its idle heartbeats (half the expiry) are missed three times: 1.5 s
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> alarms.get() == 0);

            connection.jetStream().publish("events.1", "e".getBytes(StandardCharsets.UTF_8));
            source.fetch(1, MessageSource.MIN_PULL);
            Message message = source.next();
            assertNotNull(message, "a fetch after idle ones still delivers");
            message.ack();
            source.close();
            assertEquals(0, alarms.get(), "heartbeat alarms from fetches that had ended");
        }
    }
}
