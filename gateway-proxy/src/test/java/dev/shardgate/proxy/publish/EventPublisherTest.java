package dev.shardgate.proxy.publish;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.testkit.NatsServerProcess;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Retried publishes keep each shard's order: failed events go out again before anything offered after them. */
class EventPublisherTest {
    private static final int EVENTS_PER_SHARD = 40;
    private static final Duration RETRY_BACKOFF = Duration.ofSeconds(2);

    @Test
    void eventsThatFailedWhileTheStreamWasMissingAreStoredInTheirShardsOrder() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start(); Connection client = Nats.connect(nats.url())) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            Subjects subjects = new Subjects("discord");
            // Every retry round sleeps 2 s, so the stream can be created between rounds, not during one.
            EventPublisher publisher = new EventPublisher(client, subjects, 10_000, registry, RETRY_BACKOFF,
                    RETRY_BACKOFF);
            try {
                // No stream yet: JetStream answers "no responders" and every publish fails and waits for a retry.
                for (int seq = 1; seq <= EVENTS_PER_SHARD / 2; seq++) {
                    offer(publisher, seq);
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> failures(registry) > 0);
                for (int seq = EVENTS_PER_SHARD / 2 + 1; seq <= EVENTS_PER_SHARD; seq++) {
                    offer(publisher, seq);
                }
                // Create the stream while the publisher sleeps its backoff, not while a retry round is in flight
                // (events in flight together when a publish fails are the documented exception to the order).
                awaitRetryRoundOver(registry, (long) failures(registry));
                JetStreamManagement jsm = client.jetStreamManagement();
                EventStream.ensure(jsm, "DISCORD_EVENTS", subjects.allEvents(), Duration.ofHours(1),
                        Duration.ofMinutes(1));
                assertTrue(publisher.flush(Duration.ofSeconds(60)), publisher.pending() + " events not stored");

                Map<Integer, List<Long>> order = new HashMap<>();
                long last = jsm.getStreamInfo("DISCORD_EVENTS").getStreamState().getLastSequence();
                for (long s = 1; s <= last; s++) {
                    MessageInfo m = jsm.getMessage("DISCORD_EVENTS", s);
                    order.computeIfAbsent(Integer.parseInt(m.getHeaders().getFirst(EventHeaders.SHARD)),
                            k -> new ArrayList<>()).add(Long.parseLong(m.getHeaders().getFirst(EventHeaders.SEQ)));
                }
                List<Long> expected = new ArrayList<>();
                for (long seq = 1; seq <= EVENTS_PER_SHARD; seq++) {
                    expected.add(seq);
                }
                assertEquals(Map.of(0, expected, 1, expected), order);
            } finally {
                publisher.close();
            }
        }
    }

    private static double failures(SimpleMeterRegistry registry) {
        return registry.get("shardgate_publish_failures").counter().count();
    }

    /** Waits until a retry round has failed after {@code failuresBefore} and the publisher sleeps its 2 s. */
    private static void awaitRetryRoundOver(SimpleMeterRegistry registry, long failuresBefore) {
        long[] last = {failuresBefore, System.nanoTime()};
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10)).until(() -> {
            long failures = (long) failures(registry);
            long now = System.nanoTime();
            if (failures != last[0]) {
                last[0] = failures;
                last[1] = now;
            }
            return failures > failuresBefore && now - last[1] > Duration.ofMillis(200).toNanos();
        });
    }

    private static void offer(EventPublisher publisher, long seq) {
        for (int shard = 0; shard < 2; shard++) {
            assertTrue(publisher.offer(shard, "session-" + shard, seq, "MESSAGE_CREATE",
                    ("{\"n\":" + seq + "}").getBytes(StandardCharsets.UTF_8)));
        }
    }
}
