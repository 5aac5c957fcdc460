package dev.shardgate.proxy.rest;

import dev.shardgate.proxy.config.ProxyConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;

/** The REST role: an HTTP proxy in front of Discord's API that paces requests by Discord's limits. */
public final class RestProxy implements AutoCloseable {
    private RestProxy() {
    }

    /** Starts serving on {@code REST_PORT} (0 in the config disables it, but then this is not called). */
    public static RestProxy start(ProxyConfig config, MeterRegistry registry) throws IOException {
        throw new UnsupportedOperationException("the REST role is not built yet");
    }

    /** The bound port. */
    public int port() {
        return -1;
    }

    @Override
    public void close() {
    }
}
