package dev.shardgate.proxy;

import dev.shardgate.protocol.ShardIds;
import dev.shardgate.proxy.admin.AdminServer;
import dev.shardgate.proxy.admin.GatewayView;
import dev.shardgate.proxy.command.CommandService;
import dev.shardgate.proxy.config.ProxyConfig;
import dev.shardgate.proxy.discovery.DiscoveryException;
import dev.shardgate.proxy.discovery.GatewayBot;
import dev.shardgate.proxy.discovery.GatewayBotClient;
import dev.shardgate.proxy.gateway.GatewaySelector;
import dev.shardgate.proxy.gateway.IdentifyPlan;
import dev.shardgate.proxy.gateway.IdentifyQueue;
import dev.shardgate.proxy.gateway.ReconnectPolicy;
import dev.shardgate.proxy.gateway.Shard;
import dev.shardgate.proxy.gateway.ShardContext;
import dev.shardgate.proxy.gateway.ShardMetrics;
import dev.shardgate.proxy.gateway.ShardStatus;
import dev.shardgate.proxy.gateway.StartupProgress;
import dev.shardgate.proxy.fleet.Checkpoint;
import dev.shardgate.proxy.fleet.CheckpointWriter;
import dev.shardgate.proxy.fleet.Checkpoints;
import dev.shardgate.proxy.fleet.FleetBuckets;
import dev.shardgate.proxy.fleet.IdentifyBudget;
import dev.shardgate.proxy.fleet.IdentifyClaims;
import dev.shardgate.proxy.fleet.LeaseManager;
import dev.shardgate.proxy.publish.PublisherSettings;
import dev.shardgate.proxy.publish.EventPublisher;
import dev.shardgate.proxy.publish.EventStream;
import dev.shardgate.proxy.publish.PublisherStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import javax.net.ssl.SSLContext;

/**
 * The gateway role, startable in-process: {@code GatewayProxy.start(config)} returns at once with the admin HTTP
 * server listening; a start-up thread then connects to NATS, ensures the event stream, asks {@code /gateway/bot},
 * and starts the owned shards (resuming handed-over sessions). {@link #close()} is the SIGTERM hand-over: shards
 * close resumably, buffered events are flushed, and sessions are stored for the next process.
 *
 * <p>Threads owned: {@code shardgate-startup} (virtual, ends when shards are started), {@code shardgate-heartbeat}
 * (heartbeats only), {@code shardgate-timers} (hands delayed work to shard threads), {@code gateway-io} (the
 * {@link GatewaySelector}: socket I/O of every gateway connection), the identify queue's thread, the publisher's
 * threads, a virtual thread per shard while it has queued work, the admin server's threads, and jnats' threads. All are
 * stopped by {@link #close()}.
 */
public final class GatewayProxy implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GatewayProxy.class.getName());
    private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(5);

    private final ProxyConfig config;
    private final PrometheusMeterRegistry registry;
    private final AdminServer admin;
    @SuppressWarnings("ThreadPriorityCheck") // a hint only: heartbeats are timed by this thread alone, whatever its priority
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("shardgate-heartbeat").daemon().priority(Thread.MAX_PRIORITY).factory());
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("shardgate-timers").daemon().factory());
    /** Socket I/O of every gateway connection: one platform thread, {@code gateway-io}. */
    private final GatewaySelector gatewayIo;
    private final Thread startup;
    private final StartupProgress startupProgress;
    private final NatsStatusLog natsStatus = new NatsStatusLog(Clock.systemUTC());
    private volatile Map<Integer, Shard> shards = Map.of();
    private volatile int shardCount;
    private volatile Connection nats;
    /** The leases' own connection: renewals never queue behind events, and it does not echo its own renewals. */
    private volatile Connection leaseNats;
    private volatile EventPublisher publisher;
    private volatile IdentifyClaims claims;
    private volatile IdentifyQueue identifyQueue;
    private volatile FleetBuckets buckets;
    private volatile LeaseManager leases;
    private volatile Checkpoints checkpoints;
    private volatile CheckpointWriter checkpointWriter;
    private volatile CommandService commands;
    private volatile boolean closed;
    private final CompletableFuture<Throwable> ioDeath = new CompletableFuture<>();

    private GatewayProxy(ProxyConfig config, PrometheusMeterRegistry registry, SSLContext gatewayTls)
            throws IOException {
        this.config = config;
        this.registry = registry;
        this.startupProgress = new StartupProgress(this::shards, this::identifyPlan, Clock.systemUTC());
        this.admin = AdminServer.start(config.adminPort(), registry, config.gateway().instanceId(), new View());
        Gauge.builder("shardgate_nats_connected", natsStatus, NatsStatusLog::connected)
                .description("1 while the gateway role's NATS connection is up").register(registry);
        this.startup = Thread.ofVirtual().name("shardgate-startup").unstarted(this::startUp);
        this.gatewayIo = GatewaySelector.open(gatewayTls, ioDeath::complete);
    }

    /**
     * Completes with the cause if the gateway role can no longer serve any connection (its {@code gateway-io} thread
     * stopped on an error and closed every socket). Nothing in this process can bring the shards back: the process
     * should exit, and its hand-over ({@link #close}) lets another instance resume them.
     */
    public CompletionStage<Throwable> failure() {
        return ioDeath.minimalCompletionStage();
    }

    /** Starts with its own metrics registry. */
    public static GatewayProxy start(ProxyConfig config) {
        return start(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /** Starts, registering meters in {@code registry} (shared with the REST role so /metrics shows both). */
    public static GatewayProxy start(ProxyConfig config, PrometheusMeterRegistry registry) {
        return start(config, registry, null);
    }

    /**
     * Starts with {@code gatewayTls} as the TLS context of {@code wss://} gateway connections (tests that serve the
     * gateway with their own certificate); null means the JDK's default context, as in production.
     */
    public static GatewayProxy start(ProxyConfig config, PrometheusMeterRegistry registry, SSLContext gatewayTls) {
        try {
            GatewayProxy proxy = new GatewayProxy(config, registry, gatewayTls);
            proxy.startup.start();
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException("admin HTTP cannot listen on ADMIN_PORT " + config.adminPort(), e);
        }
    }

    public int adminPort() {
        return admin.port();
    }

    /** The admin HTTP server this role started, which the REST role of the same process also reports on. */
    public AdminServer admin() {
        return admin;
    }

    /** The owned shards' status, in id order; empty until {@code /gateway/bot} has answered. */
    public List<ShardStatus> shards() {
        return shards.values().stream().map(Shard::status).sorted(Comparator.comparingInt(ShardStatus::id)).toList();
    }

    /** Start-up progress, as on {@code /shards/startup}. */
    public StartupProgress.Snapshot startupProgress() {
        return startupProgress.snapshot();
    }

    private IdentifyPlan identifyPlan() {
        IdentifyQueue queue = identifyQueue;
        return queue == null ? IdentifyPlan.empty(Instant.now(), IdentifyQueue.WINDOW) : queue.plan();
    }

    /** The same condition as {@code /readyz}. */
    public boolean isReady() {
        List<ShardStatus> list = shards();
        return !list.isEmpty() && list.stream().allMatch(ShardStatus::isServed);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    private void startUp() {
        try {
            nats = retry("connect to NATS at " + config.natsUrls(),
                    () -> connectNats("shardgate-gateway-proxy", false));
            leaseNats = retry("connect to NATS for leases", () -> connectNats("shardgate-gateway-leases", true));
            retry("create stream " + config.eventsStream(), () -> EventStream.ensure(nats.jetStreamManagement(),
                    config.eventsStream(), config.subjects().allEvents(), config.eventsMaxAge(),
                    config.eventsDuplicateWindow(), config.gateway().replicas()));
            buckets = retry("open the fleet's KV buckets", () -> FleetBuckets.open(nats, config.gateway().leaseTtl(),
                    config.gateway().sessionTtl(), config.gateway().replicas()));
            leases = new LeaseManager(leaseNats, buckets, config.subjects().prefix(), config.gateway().instanceId(),
                    System::nanoTime, new LeaseManager.Listener() {
                        @Override
                        public void acquired(int shard) {
                            leaseAcquired(shard);
                        }

                        @Override
                        public void lost(int shard, String why) {
                            leaseLost(shard, why);
                        }
                    }, registry);
            GatewayBot bot;
            try {
                bot = new GatewayBotClient(config.apiUrl(), config.token()).fetchWithRetry();
            } catch (DiscoveryException e) {
                failWithoutDiscovery(e);
                return;
            }
            startShards(bot);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "gateway role could not start: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "gateway role could not start: " + e, e);
        }
    }

    /**
     * @param leases the lease connection: without echo, since a proxy holding 1,000 leases would otherwise read back
     *     its own 400 renewals a second; its state is not what {@code shardgate_nats_connected} reports
     */
    private Connection connectNats(String name, boolean leases) throws IOException, InterruptedException {
        Options.Builder options = Options.builder()
                .servers(config.natsUrls().toArray(String[]::new))
                .connectionName(name)
                .maxReconnects(-1)
                .reconnectWait(Duration.ofSeconds(1))
                .connectionTimeout(Duration.ofSeconds(5));
        if (leases) {
            options.noEcho();
        } else {
            options.connectionListener(natsStatus).errorListener(natsStatus);
        }
        return Nats.connect(options.build());
    }

    private void failWithoutDiscovery(DiscoveryException e) {
        LOG.log(System.Logger.Level.ERROR, e.getMessage());
        if (config.shardCount() > 0) {
            Map<Integer, Shard> created = createShards(config.shardCount(),
                    new GatewayBot.SessionStartLimit(1, 0, Duration.ofDays(1), 1), config.apiUrl());
            created.values().forEach(s -> s.fail(e.getMessage()));
        }
    }

    private void startShards(GatewayBot bot) throws IOException {
        int count = config.shardCount() > 0 ? config.shardCount() : bot.shards();
        GatewayBot.SessionStartLimit limit = bot.sessionStartLimit();
        Map<Integer, Shard> created = createShards(count, limit, bot.url());
        if (created.isEmpty()) {
            return;
        }
        LOG.log(System.Logger.Level.INFO, "instance {0} serving shards {1} of {2} (max_concurrency {3}, {4} session "
                + "starts left, lease TTL {5} s)", config.gateway().instanceId(), created.keySet(), count,
                limit.maxConcurrency(), limit.remaining(), buckets.leaseTtl().toSeconds());
        checkpoints = new Checkpoints(buckets.sessions(), nats.jetStream(), config.subjects().prefix(), config.token(),
                count, config.gateway().sessionTtl(), Clock.systemUTC(), registry);
        commands = CommandService.start(nats, config.subjects(), count, this::heldShards);
        created.values().forEach(Shard::awaitLease);
        leases.start(created.keySet());
        startupProgress.start(timers);
        checkpointWriter = new CheckpointWriter(checkpoints, leases, id -> created.get(id).position(),
                publisher::safeSeq, created.keySet(), config.gateway().checkpointInterval());
    }

    /** The lease of a shard was taken: read its checkpoint off the lease thread, then let the shard connect. */
    private void leaseAcquired(int id) {
        Shard shard = shards.get(id);
        if (shard == null || closed) {
            return;
        }
        commands.own(shard);
        identifyQueue.reserve(id); // now, on the lease thread, so that shards line up in the order leases come
        Thread.ofVirtual().name("shardgate-checkpoint-read-" + id).start(() -> {
            ReconnectPolicy backoff = new ReconnectPolicy(ThreadLocalRandom.current());
            while (!closed && leases.holds(id)) {
                try {
                    shard.leaseAcquired(checkpoints.read(id));
                    return;
                } catch (Exception e) {
                    // Identifying because a read failed would waste a session start that a resume could save.
                    Duration delay = backoff.nextDelay();
                    LOG.log(System.Logger.Level.WARNING, "shard {0}: checkpoint unreadable ({1}); retrying in {2} ms",
                            id, e.toString(), delay.toMillis());
                    try {
                        Thread.sleep(delay.toMillis());
                    } catch (InterruptedException stop) {
                        return;
                    }
                }
            }
        });
    }

    private void leaseLost(int id, String why) {
        Shard shard = shards.get(id);
        if (shard == null) {
            return;
        }
        checkpoints.forget(id);
        commands.disown(id);
        shard.leaseLost(why);
    }

    private List<ShardStatus> heldShards() {
        return shards().stream().filter(s -> leases.holds(s.id())).toList();
    }

    private Map<Integer, Shard> createShards(int count, GatewayBot.SessionStartLimit limit, java.net.URI url) {
        List<Integer> ids;
        try {
            ids = ShardIds.parse(config.shardIds(), count);
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.ERROR, "no shard started: " + e.getMessage());
            return Map.of();
        }
        shardCount = count;
        GatewayBotClient discovery = new GatewayBotClient(config.apiUrl(), config.token());
        claims = new IdentifyClaims(buckets, config.subjects().prefix(), config.gateway().instanceId(),
                config.gateway().identifyReserve(), limit, () -> discovery.fetch().sessionStartLimit(),
                Clock.systemUTC(), System::nanoTime, registry);
        identifyQueue = new IdentifyQueue(limit.maxConcurrency(), claims, Clock.systemUTC());
        publisher = new EventPublisher(nats, config.subjects(), new PublisherSettings(config.gateway().publishBuffer(),
                config.gateway().publishBufferBytes(), config.eventsStream(), config.eventsMaxAge(),
                config.gateway().replicas()), shard -> leases.holds(shard), registry);
        ShardContext ctx = new ShardContext(config.token(), count, config.intents(), config.compression(), url,
                config.gateway(), identifyQueue, publisher, leases, heartbeats, timers, gatewayIo, Clock.systemUTC(),
                System::nanoTime, new Random(), registry);
        Map<Integer, Shard> created = new TreeMap<>();
        for (int id : ids) {
            created.put(id, new Shard(id, ctx));
        }
        shards = Map.copyOf(created);
        ShardMetrics.registerStateCounts(registry, shards.values());
        return created;
    }

    /** The gateway role as the admin HTTP shows it; the parts made during start-up are empty until then. */
    private final class View implements GatewayView {
        @Override
        public List<ShardStatus> shards() {
            return GatewayProxy.this.shards();
        }

        @Override
        public int shardCount() {
            return shardCount;
        }

        @Override
        public StartupProgress.Snapshot startup() {
            return startupProgress.snapshot();
        }

        @Override
        public Optional<IdentifyBudget> identifyBudget() {
            return Optional.ofNullable(claims).map(IdentifyClaims::budget);
        }

        @Override
        public Optional<PublisherStatus> publisher() {
            return Optional.ofNullable(publisher).map(EventPublisher::status);
        }

        @Override
        public Optional<Connection> nats() {
            return Optional.ofNullable(nats);
        }

        @Override
        public String streamName() {
            return config.eventsStream();
        }
    }

    private interface Step<T> {
        T run() throws Exception;
    }

    /**
     * Retries a start-up step with jittered exponential backoff until it works or the proxy closes, logging each
     * failure clearly. The jitter keeps a fleet of proxies restarted together from hammering NATS in step.
     */
    private <T> T retry(String what, Step<T> step) throws InterruptedException {
        ReconnectPolicy backoff = new ReconnectPolicy(ThreadLocalRandom.current());
        while (!closed) {
            try {
                return step.run();
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                Duration delay = backoff.nextDelay();
                LOG.log(System.Logger.Level.ERROR, "cannot {0}: {1}; retrying in {2} ms", what, e.toString(),
                        delay.toMillis());
                Thread.sleep(delay.toMillis());
            }
        }
        throw new InterruptedException("closed during start-up");
    }

    /**
     * The SIGTERM hand-over: stops taking leases, closes every shard with a resumable code, flushes buffered events,
     * writes each session's checkpoint at the highest sequence whose events are all in the stream, and only then
     * releases each lease, so a waiting instance takes the shard within milliseconds and resumes it.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        startup.interrupt();
        try {
            startup.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (commands != null) {
            commands.close();
        }
        if (leases != null) {
            leases.stopAcquiring();
        }
        if (checkpointWriter != null) {
            checkpointWriter.close();
        }
        List<CompletableFuture<Optional<Checkpoint>>> futures = shards.values().stream().map(Shard::handOver).toList();
        List<Checkpoint> handed = new ArrayList<>();
        futures.forEach(f -> f.join().ifPresent(handed::add));
        if (publisher != null) {
            try {
                if (!publisher.flush(FLUSH_TIMEOUT)) {
                    LOG.log(System.Logger.Level.WARNING, "{0} events not acknowledged by JetStream at shutdown; "
                            + "the checkpoints stop before them so the next owner gets them replayed",
                            publisher.pending());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            int written = 0;
            for (Checkpoint c : handed) {
                if (!leases.holds(c.shard())) {
                    continue;
                }
                long safe = publisher.safeSeq(c.shard(), c.session().sessionId(), c.seq());
                if (safe >= 0 && checkpoints.writeNow(new Checkpoint(c.shard(), c.session(), safe), FLUSH_TIMEOUT)) {
                    written++;
                } else {
                    LOG.log(System.Logger.Level.ERROR, "shard {0}: checkpoint not written at shutdown; the next owner "
                            + "resumes from the last periodic one", c.shard());
                }
            }
            LOG.log(System.Logger.Level.INFO, "handed over {0} session(s)", written);
            publisher.close();
        }
        if (leases != null) {
            shards.keySet().forEach(leases::release);
            leases.close();
        }
        shards.values().forEach(Shard::close);
        if (identifyQueue != null) {
            identifyQueue.close();
        }
        heartbeats.shutdownNow();
        timers.shutdownNow();
        gatewayIo.close();
        for (Connection c : new Connection[] {leaseNats, nats}) {
            if (c != null) {
                try {
                    c.close();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        admin.close();
    }
}
