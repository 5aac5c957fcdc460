package dev.shardgate.proxy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.config.ConfigSource;
import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.proxy.config.ProxyConfig;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.gateway.DispatchRecord;
import dev.shardgate.testkit.NatsServerProcess;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** A real nats-server, the Discord simulator and gateway proxies started in-process, for one test class. */
final class ProxyHarness implements AutoCloseable {
    static final Duration PATIENCE = Duration.ofSeconds(60);
    final NatsServerProcess nats;
    final Simulator sim;
    final Connection client;
    private final List<GatewayProxy> proxies = new ArrayList<>();

    ProxyHarness(Simulator.Builder simulator) throws IOException, InterruptedException {
        this.nats = NatsServerProcess.start();
        this.sim = simulator.token("sim-token").start();
        this.client = Nats.connect(nats.url());
    }

    Map<String, String> env() {
        Map<String, String> env = new HashMap<>();
        env.put("DISCORD_TOKEN", "sim-token");
        env.put("DISCORD_API_URL", sim.apiUrl());
        env.put("NATS_URL", nats.url());
        env.put("ROLES", "gateway");
        env.put("ADMIN_PORT", "0");
        env.put("REST_PORT", "0");
        return env;
    }

    GatewayProxy start() {
        return start(env());
    }

    GatewayProxy start(Map<String, String> env) {
        return start(env, null);
    }

    /** @param gatewayTls trusts the simulator's {@code wss://} certificate; null: the JDK's default context */
    GatewayProxy start(Map<String, String> env, javax.net.ssl.SSLContext gatewayTls) {
        GatewayProxy proxy = GatewayProxy.start(ProxyConfig.from(ConfigSource.of(env)),
                new io.micrometer.prometheusmetrics.PrometheusMeterRegistry(
                        io.micrometer.prometheusmetrics.PrometheusConfig.DEFAULT), gatewayTls);
        proxies.add(proxy);
        return proxy;
    }

    static void awaitReady(GatewayProxy proxy) {
        await().atMost(PATIENCE).until(proxy::isReady);
    }

    /** The stream holds every dispatch of the simulator's ledger exactly once, byte for byte. */
    void awaitStreamMatchesLedger() {
        await().atMost(PATIENCE).untilAsserted(() -> {
            List<DispatchRecord> ledger = sim.gateway().ledger();
            List<MessageInfo> stored = stored();
            Map<String, MessageInfo> byId = stored.stream().collect(Collectors.toMap(
                    m -> m.getHeaders().getFirst(EventHeaders.MSG_ID), m -> m));
            assertEquals(stored.size(), byId.size(), "duplicate message ids in the stream");
            for (DispatchRecord r : ledger) {
                MessageInfo m = byId.get(EventHeaders.messageId(r.shardId(), r.sessionId(), r.seq()));
                assertTrue(m != null, "missing " + r.shardId() + ":" + r.seq() + " " + r.type());
                assertTrue(Arrays.equals(r.d(), m.getData()), "body differs for " + r.type());
                assertEquals("discord.events." + r.shardId() + "." + r.type(), m.getSubject());
                assertEquals(Long.toString(r.seq()), m.getHeaders().getFirst(EventHeaders.SEQ));
                assertEquals(r.type(), m.getHeaders().getFirst(EventHeaders.EVENT));
                assertEquals(Integer.toString(r.shardId()), m.getHeaders().getFirst(EventHeaders.SHARD));
            }
            assertEquals(ledger.size(), stored.size());
        });
    }

    /** Every message in the event stream, in stream order. */
    List<MessageInfo> stored() throws IOException, JetStreamApiException {
        JetStreamManagement jsm = client.jetStreamManagement();
        long last = jsm.getStreamInfo("DISCORD_EVENTS").getStreamState().getLastSequence();
        List<MessageInfo> out = new ArrayList<>();
        for (long seq = 1; seq <= last; seq++) {
            out.add(jsm.getMessage("DISCORD_EVENTS", seq));
        }
        return out;
    }

    long storedCount() throws IOException, JetStreamApiException {
        return client.jetStreamManagement().getStreamInfo("DISCORD_EVENTS").getStreamState().getMsgCount();
    }

    @Override
    public void close() throws Exception {
        proxies.forEach(GatewayProxy::close);
        client.close();
        sim.close();
        nats.close();
    }
}
