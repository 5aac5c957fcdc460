package dev.shardgate.proxy.publish;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.proxy.ProxyHarnessAccess;
import dev.shardgate.simulator.Simulator;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Issue item 5: with no consumer at all for 60 s, events pile up in the stream and no shard reconnects. */
@Tag("process")
class NoConsumerTest {
    @Test
    void sixtySecondsWithoutAnyConsumerCauseZeroReconnects() throws Exception {
        try (ProxyHarnessAccess h = ProxyHarnessAccess.start(Simulator.builder().shards(2).maxConcurrency(2)
                .heartbeatInterval(Duration.ofSeconds(1)).eventsPerSecondPerShard(50))) {
            int connections = h.sim().gateway().connectionCount();
            Instant end = Instant.now().plusSeconds(60);
            // Awaitility polls until the minute is over; every poll checks that nothing reconnected.
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(5)).until(() -> {
                assertEquals(connections, h.sim().gateway().connectionCount());
                return Instant.now().isAfter(end);
            });
            assertTrue(h.proxy().registry().scrape().lines().filter(l -> l.startsWith("shardgate_reconnects_total"))
                    .findAny().isEmpty(), "no reconnect may be counted");
            assertTrue(h.sim().gateway().closesSent().isEmpty(), "the simulator closed: " + h.sim().gateway().closesSent());
            long sent = h.sim().gateway().ledger().size();
            assertTrue(sent > 2000, "the generator sent only " + sent);
            await().atMost(Duration.ofSeconds(30)).until(() -> h.client().jetStreamManagement()
                    .getStreamInfo("DISCORD_EVENTS").getStreamState().getMsgCount() >= sent);
        }
    }
}
