package dev.shardgate.proxy;

import dev.shardgate.simulator.Simulator;
import io.nats.client.Connection;
import java.util.Map;

/** Gives tests in other packages a started harness: one proxy, ready, with optional extra settings. */
public final class ProxyHarnessAccess implements AutoCloseable {
    private final ProxyHarness harness;
    private final GatewayProxy proxy;

    private ProxyHarnessAccess(ProxyHarness harness, GatewayProxy proxy) {
        this.harness = harness;
        this.proxy = proxy;
    }

    /** @param settings alternating keys and values added to the proxy's environment */
    public static ProxyHarnessAccess start(Simulator.Builder simulator, String... settings) throws Exception {
        ProxyHarnessAccess started = starting(simulator, settings);
        started.awaitReady();
        return started;
    }

    /** Like {@link #start} but returns at once, while the shards are still coming up. */
    public static ProxyHarnessAccess starting(Simulator.Builder simulator, String... settings) throws Exception {
        ProxyHarness h = new ProxyHarness(simulator);
        Map<String, String> env = h.env();
        for (int i = 0; i + 1 < settings.length; i += 2) {
            env.put(settings[i], settings[i + 1]);
        }
        return new ProxyHarnessAccess(h, h.start(env));
    }

    public void awaitReady() {
        ProxyHarness.awaitReady(proxy);
    }

    public GatewayProxy proxy() {
        return proxy;
    }

    public Simulator sim() {
        return harness.sim;
    }

    public Connection client() {
        return harness.client;
    }

    @Override
    public void close() throws Exception {
        harness.close();
    }
}
