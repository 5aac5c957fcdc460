package dev.shardgate.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.proxy.gateway.ShardState;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.Endpoint;
import dev.shardgate.simulator.gateway.ResumeRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shards over {@code wss://}, as against Discord: the simulator serves both gateway URLs over TLS with a self-signed
 * certificate for {@code localhost} made here with {@code keytool}, and the proxy trusts it through a test-only TLS
 * context (production uses the JDK's default one). The proxy's TLS runs over an {@code SSLEngine} on the selector
 * thread, with host name verification (checked off that thread): a gateway URL the certificate does not name is
 * refused.
 */
@Tag("process")
class TlsGatewayTest {
    private static SelfSignedTls tls;

    @BeforeAll
    static void makeCertificate(@TempDir Path dir) throws Exception {
        tls = SelfSignedTls.create(dir);
    }

    @Test
    void shardsRunOverWssPublishEverythingAndResumeAtTheWssResumeUrl() throws Exception {
        try (ProxyHarness h = new ProxyHarness(Simulator.builder().shards(2).maxConcurrency(2)
                .heartbeatInterval(Duration.ofMillis(500)).zlibSplitAbove(512).gatewayTls(tls.server())
                .advertisedHost("localhost"))) {
            assertTrue(h.sim.gateway().url().startsWith("wss://localhost:"), h.sim.gateway().url());
            GatewayProxy proxy = h.start(h.env(), tls.client());
            ProxyHarness.awaitReady(proxy);
            // Bursts larger than a TLS record (16 KB) per read, and a big GUILD_CREATE-sized run of events.
            h.sim.gateway().burst(0, 2_000);
            h.sim.gateway().burst(1, 2_000);
            h.awaitStreamMatchesLedger();
            // Heartbeats go out and their ACKs come back over TLS.
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> proxy.shards().stream().allMatch(s -> s.latencyMs() >= 0));
            // A zombie: the resume goes to the resume URL, also wss.
            long resumes = h.sim.gateway().resumes().size();
            assertEquals(1, h.sim.gateway().zombie(0));
            h.sim.gateway().burst(0, 100);
            await().atMost(ProxyHarness.PATIENCE).until(() -> h.sim.gateway().resumes().size() > resumes);
            ResumeRecord resume = h.sim.gateway().resumes().get(h.sim.gateway().resumes().size() - 1);
            assertEquals(Endpoint.RESUME, resume.endpoint());
            assertEquals(ResumeRecord.Outcome.RESUMED, resume.outcome());
            await().atMost(ProxyHarness.PATIENCE).until(() -> proxy.shards().get(0).state() == ShardState.RESUMED);
            h.sim.gateway().heal(0);
            h.sim.gateway().burst(0, 100);
            h.awaitStreamMatchesLedger();
            assertEquals(2, h.sim.gateway().identifies().size(), "one identify per shard, no more");
            assertTrue(!tls.checkedOn().isEmpty() && !tls.checkedOn().contains("gateway-io"),
                    "certificates are checked off the selector thread: " + tls.checkedOn());
        }
    }

    @Test
    void aGatewayWhoseCertificateDoesNotNameItsHostIsRefused() throws Exception {
        // The certificate names localhost only; the simulator hands out 127.0.0.1.
        try (ProxyHarness h = new ProxyHarness(Simulator.builder().shards(1).maxConcurrency(1).gatewayTls(tls.server())
                .advertisedHost("127.0.0.1"))) {
            GatewayProxy proxy = h.start(h.env(), tls.client());
            await().atMost(ProxyHarness.PATIENCE).until(() -> proxy.shards().size() == 1
                    && proxy.shards().get(0).state() == ShardState.RECONNECTING);
            String reason = proxy.shards().get(0).reason();
            assertTrue(reason.contains("127.0.0.1") && reason.toLowerCase(Locale.ROOT).contains("subject alternative"),
                    "the host name check refused it: " + reason);
            // it keeps retrying and is refused each time: never live over the next two seconds
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
                    .until(() -> !proxy.shards().get(0).state().isLive());
            assertEquals(0, h.sim.gateway().identifies().size(), "nothing reached the gateway");
        }
    }
}
