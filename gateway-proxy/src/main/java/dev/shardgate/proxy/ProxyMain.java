package dev.shardgate.proxy;

import dev.shardgate.config.ConfigException;
import dev.shardgate.config.ProcessLogging;
import dev.shardgate.proxy.admin.AdminServer;
import dev.shardgate.proxy.config.ProxyConfig;
import dev.shardgate.proxy.config.Role;
import dev.shardgate.proxy.rest.RestProxy;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.CountDownLatch;

/**
 * The gateway proxy process: reads the configuration once, starts the roles of {@code ROLES} with one metrics
 * registry, and on SIGTERM hands the gateway sessions over (see {@link GatewayProxy#close()}) before exiting.
 * The main thread only waits for the shutdown hook.
 */
public final class ProxyMain {
    /** The exit status when the gateway role can no longer serve its shards (EX_SOFTWARE). */
    static final int EXIT_GATEWAY_FAILED = 70;

    private ProxyMain() {
    }

    public static void main(String[] args) throws Exception {
        ProcessLogging.install(); // first: the hand-over's log lines must survive the JVM's shutdown
        // The JDK's HTTP server (REST role and admin) leaves Nagle's algorithm on unless asked, and reads the flag
        // when its first server starts: an answer written as headers then body would wait up to 40 ms for the
        // client's delayed ACK.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        System.Logger log = System.getLogger(ProxyMain.class.getName());
        ProxyConfig config;
        try {
            config = ProxyConfig.fromEnvironment();
        } catch (ConfigException e) {
            System.err.println("configuration error: " + e.getMessage());
            System.exit(2);
            return;
        }
        log.log(System.Logger.Level.INFO, "starting with {0}", config);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        GatewayProxy gateway = config.runs(Role.GATEWAY) ? GatewayProxy.start(config, registry) : null;
        if (gateway != null) {
            // A process that answers /healthz but can serve no shard would hold its leases until someone noticed.
            // Exiting runs the shutdown hook's hand-over (checkpoints, leases released), so another instance
            // resumes the shards at once. System.exit waits for that hook, so it runs on a thread of its own.
            gateway.failure().thenAccept(cause -> {
                log.log(System.Logger.Level.ERROR, "the gateway role cannot serve its shards any more ({0}); exiting "
                        + "with status {1} so that another instance resumes them", cause.toString(),
                        Integer.toString(EXIT_GATEWAY_FAILED));
                Thread.ofPlatform().name("shardgate-exit").start(() -> System.exit(EXIT_GATEWAY_FAILED));
            });
        }
        AdminServer ownAdmin = gateway == null
                ? AdminServer.start(config.adminPort(), registry, config.gateway().instanceId(), null) : null;
        AdminServer admin = gateway == null ? ownAdmin : gateway.admin();
        RestProxy rest = null;
        if (config.runs(Role.REST) && config.restPort() != 0) {
            rest = RestProxy.start(config, registry);
            log.log(System.Logger.Level.INFO, "REST proxy listening on port {0}", Integer.toString(rest.port()));
            admin.attachRest(rest::status);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        RestProxy restRole = rest;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.log(System.Logger.Level.INFO, "SIGTERM: handing over and stopping");
            if (restRole != null) {
                restRole.close();
            }
            if (gateway != null) {
                gateway.close();
            }
            if (ownAdmin != null) {
                ownAdmin.close();
            }
            stopped.countDown();
        }, "shardgate-shutdown"));
        stopped.await();
    }
}
