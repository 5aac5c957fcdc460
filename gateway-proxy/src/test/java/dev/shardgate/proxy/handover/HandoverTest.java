package dev.shardgate.proxy.handover;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.proxy.GatewayProxy;
import dev.shardgate.proxy.ProxyHarnessAccess;
import dev.shardgate.config.ConfigSource;
import dev.shardgate.proxy.config.ProxyConfig;
import dev.shardgate.proxy.gateway.ShardState;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.ResumeRecord;
import io.nats.client.JetStreamManagement;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** SIGTERM's hand-over (GatewayProxy.close, which the shutdown hook calls): the next proxy resumes. */
class HandoverTest {
    @Test
    void theNextProxyResumesTheHandedOverSessionsInsteadOfIdentifying() throws Exception {
        try (ProxyHarnessAccess h = ProxyHarnessAccess.start(Simulator.builder().shards(2).maxConcurrency(2)
                .heartbeatInterval(Duration.ofSeconds(2)))) {
            h.sim().gateway().burst(0, 30);
            h.sim().gateway().burst(1, 30);
            String session0 = h.sim().gateway().liveSessions(0).get(0).sessionId();
            long lastSeq = h.sim().gateway().ledgerOfSession(session0).stream().mapToLong(r -> r.seq()).max()
                    .orElseThrow();
            await().atMost(Duration.ofSeconds(30)).until(() -> h.proxy().shards().get(0).seq() == lastSeq);
            Map<String, String> env = Map.of("DISCORD_TOKEN", "sim-token", "DISCORD_API_URL", h.sim().apiUrl(),
                    "NATS_URL", h.client().getConnectedUrl(), "ROLES", "gateway", "ADMIN_PORT", "0");
            h.proxy().close();
            // While no proxy runs, Discord keeps sending; the resume must replay these.
            h.sim().gateway().burst(0, 25);
            try (GatewayProxy next = GatewayProxy.start(ProxyConfig.from(ConfigSource.of(env)))) {
                await().atMost(Duration.ofSeconds(60)).until(next::isReady);
                assertEquals(2, h.sim().gateway().identifies().size(), "the next proxy must not identify");
                assertTrue(next.shards().stream().allMatch(s -> s.state() == ShardState.RESUMED));
                ResumeRecord resume = h.sim().gateway().resumes().stream().filter(r -> r.shardId() == 0)
                        .findFirst().orElseThrow();
                assertEquals(session0, resume.sessionId());
                assertEquals(ResumeRecord.Outcome.RESUMED, resume.outcome());
                assertEquals(lastSeq, resume.seq(), "the stored seq is the last one received");
                long sentWhileDown = h.sim().gateway().ledgerOfSession(session0).stream()
                        .filter(r -> r.seq() > lastSeq && !r.type().equals("RESUMED")).count();
                assertTrue(sentWhileDown > 0);
                assertTrue(resume.replayed() >= sentWhileDown, "replayed " + resume.replayed() + " of "
                        + sentWhileDown);
                JetStreamManagement jsm = h.client().jetStreamManagement();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    long last = jsm.getStreamInfo("DISCORD_EVENTS").getStreamState().getLastSequence();
                    Set<String> ids = new HashSet<>();
                    for (long seq = 1; seq <= last; seq++) {
                        assertTrue(ids.add(jsm.getMessage("DISCORD_EVENTS", seq).getHeaders()
                                .getFirst(EventHeaders.MSG_ID)), "duplicate");
                    }
                    assertEquals(h.sim().gateway().ledger().size(), ids.size());
                });
            }
        }
    }
}
