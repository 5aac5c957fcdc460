package dev.shardgate.proxy.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.proxy.ProxyHarnessAccess;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.Fault;
import dev.shardgate.simulator.gateway.ResumeRecord;
import io.nats.client.JetStreamManagement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A connection that keeps ACKing heartbeats but stops carrying dispatches is resumed by the watchdog. */
@Tag("process")
class SilentConnectionTest {
    @Test
    void theWatchdogResumesAShardThatFellSilentAndTheMissedEventsAreReplayed() throws Exception {
        try (ProxyHarnessAccess h = ProxyHarnessAccess.start(Simulator.builder().shards(1).maxConcurrency(1)
                .heartbeatInterval(Duration.ofSeconds(1)).eventsPerSecondPerShard(20), "WATCHDOG_MIN_SILENCE", "2s")) {
            await().atMost(Duration.ofSeconds(30)).until(() -> h.proxy().shards().get(0).seq() > 40);
            assertEquals(1, h.sim().gateway().inject(0, Fault.MUTE));
            await().atMost(Duration.ofSeconds(30)).until(() -> h.proxy().shards().get(0).state() == ShardState.RESUMED);
            assertEquals(1, h.sim().gateway().identifies().size());
            ResumeRecord resume = h.sim().gateway().resumes().get(0);
            assertEquals(ResumeRecord.Outcome.RESUMED, resume.outcome());
            assertEquals(1.0, h.proxy().registry().get("shardgate_reconnects").tags("shard", "0", "reason", "silent")
                    .counter().count());
            h.sim().events().rate(0);
            JetStreamManagement jsm = h.client().jetStreamManagement();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                long last = jsm.getStreamInfo("DISCORD_EVENTS").getStreamState().getLastSequence();
                Set<String> ids = new HashSet<>();
                for (long seq = 1; seq <= last; seq++) {
                    ids.add(jsm.getMessage("DISCORD_EVENTS", seq).getHeaders().getFirst(EventHeaders.MSG_ID));
                }
                assertEquals(h.sim().gateway().ledger().size(), ids.size(), "every muted event was replayed");
            });
        }
    }
}
