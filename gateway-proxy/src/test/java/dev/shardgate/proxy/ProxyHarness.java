package dev.shardgate.proxy;

import static org.awaitility.Awaitility.await;

import dev.shardgate.config.ConfigSource;
import dev.shardgate.proxy.config.ProxyConfig;
import dev.shardgate.simulator.Simulator;
import dev.shardgate.testkit.NatsServerProcess;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.api.MessageInfo;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
