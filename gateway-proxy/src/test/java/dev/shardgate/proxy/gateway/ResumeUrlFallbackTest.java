package dev.shardgate.proxy.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.proxy.ProxyHarnessAccess;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.ResumeFault;
import dev.shardgate.simulator.gateway.ResumeRecord;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A resume_gateway_url whose handshake fails, or that accepts the connection and never says Hello (the 30 s Hello
 * timeout, so that case takes about half a minute): the shard resumes through the main gateway URL, with a metric.
 */
@Tag("process")
class ResumeUrlFallbackTest {
    @ParameterizedTest
    @EnumSource(value = ResumeFault.class, names = {"HANDSHAKE_FAILS", "NO_HELLO"})
    void aFailingResumeUrlFallsBackToTheMainUrlAndStillResumes(ResumeFault fault) throws Exception {
        try (ProxyHarnessAccess h = ProxyHarnessAccess.start(Simulator.builder().shards(1).maxConcurrency(1)
                .heartbeatInterval(Duration.ofSeconds(2)))) {
            String session = h.sim().gateway().liveSessions(0).get(0).sessionId();
            h.sim().gateway().breakResumeUrl(fault);
            h.sim().gateway().dropConnection(0);
            await().atMost(Duration.ofSeconds(60)).until(() -> h.proxy().shards().get(0).state() == ShardState.RESUMED);
            assertTrue(h.sim().gateway().brokenResumeConnections() >= 1, "the resume URL was tried first");
            assertEquals(1, h.sim().gateway().identifies().size(), "resumed, not identified");
            ResumeRecord resume = h.sim().gateway().resumes().get(0);
            assertEquals(session, resume.sessionId());
            assertEquals(ResumeRecord.Outcome.RESUMED, resume.outcome());
            assertEquals(1.0, h.proxy().registry().get("shardgate_resume_url_fallbacks").tag("shard", "0").counter()
                    .count());
        }
    }
}
