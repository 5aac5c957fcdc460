package dev.shardgate.proxy;

import dev.shardgate.protocol.ShardIds;
import dev.shardgate.proxy.admin.AdminServer;
import dev.shardgate.proxy.command.CommandService;
import dev.shardgate.proxy.config.ProxyConfig;
import dev.shardgate.proxy.discovery.DiscoveryException;
import dev.shardgate.proxy.discovery.GatewayBot;
import dev.shardgate.proxy.discovery.GatewayBotClient;
import dev.shardgate.proxy.gateway.IdentifyQueue;
import dev.shardgate.proxy.gateway.ReconnectPolicy;
import dev.shardgate.proxy.gateway.Shard;
import dev.shardgate.proxy.gateway.Shard.HandedOverSession;
import dev.shardgate.proxy.gateway.ShardContext;
import dev.shardgate.proxy.gateway.ShardStatus;
import dev.shardgate.proxy.handover.SessionStore;
import dev.shardgate.proxy.publish.EventPublisher;
import dev.shardgate.proxy.publish.EventStream;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The gateway role, startable in-process: {@code GatewayProxy.start(config)} returns at once with the admin HTTP
 * server listening; a start-up thread then connects to NATS, ensures the event stream, asks {@code /gateway/bot},
 * and starts the owned shards (resuming handed-over sessions). {@link #close()} is the SIGTERM hand-over: shards
 * close resumably, buffered events are flushed, and sessions are stored for the next process.
 *
 * <p>Threads owned: {@code shardgate-startup} (virtual, ends when shards are started), {@code shardgate-heartbeat}
 * (heartbeats only), {@code shardgate-timers} (hands delayed work to shard threads), the identify queue's thread,
 * the publisher's threads, one virtual thread per shard, the admin server's threads, and jnats' threads. All are
 * stopped by {@link #close()}.
 */
public final class GatewayProxy implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GatewayProxy.class.getName());
    private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(5);

    private final ProxyConfig config;
    private final PrometheusMeterRegistry registry;
    private final AdminServer admin;
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("shardgate-heartbeat").daemon().priority(Thread.MAX_PRIORITY).factory());
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("shardgate-timers").daemon().factory());
    private final Thread startup;
    private final NatsStatusLog natsStatus = new NatsStatusLog(Clock.systemUTC());
    private volatile Map<Integer, Shard> shards = Map.of();
    private volatile int shardCount;
    private volatile Connection nats;
    private volatile EventPublisher publisher;
    private volatile IdentifyQueue identifyQueue;
    private volatile SessionStore sessionStore;
    private volatile CommandService commands;
    private volatile boolean closed;

    private GatewayProxy(ProxyConfig config, PrometheusMeterRegistry registry) throws IOException {
        this.config = config;
        this.registry = registry;
        this.admin = AdminServer.start(config.adminPort(), registry, this::shards);
        Gauge.builder("shardgate_nats_connected", natsStatus, NatsStatusLog::connected)
                .description("1 while the gateway role's NATS connection is up").register(registry);
        this.startup = Thread.ofVirtual().name("shardgate-startup").unstarted(this::startUp);
    }

    /** Starts with its own metrics registry. */
    public static GatewayProxy start(ProxyConfig config) {
        return start(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /** Starts, registering meters in {@code registry} (shared with the REST role so /metrics shows both). */
    public static GatewayProxy start(ProxyConfig config, PrometheusMeterRegistry registry) {
        try {
            GatewayProxy proxy = new GatewayProxy(config, registry);
            proxy.startup.start();
            return proxy;
        } catch (IOException e) {
            throw new UncheckedIOException("admin HTTP cannot listen on ADMIN_PORT " + config.adminPort(), e);
        }
    }

    public int adminPort() {
        return admin.port();
    }

    /** The owned shards' status, in id order; empty until {@code /gateway/bot} has answered. */
    public List<ShardStatus> shards() {
        return shards.values().stream().map(Shard::status).sorted(Comparator.comparingInt(ShardStatus::id)).toList();
    }

    /** The same condition as {@code /readyz}. */
    public boolean isReady() {
        List<ShardStatus> list = shards();
        return !list.isEmpty() && list.stream().allMatch(s -> s.state().isLive());
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    private void startUp() {
        try {
            nats = retry("connect to NATS at " + config.natsUrls(), this::connectNats);
            retry("create stream " + config.eventsStream(), () -> EventStream.ensure(nats.jetStreamManagement(),
                    config.eventsStream(), config.subjects().allEvents(), config.eventsMaxAge(),
                    config.eventsDuplicateWindow()));
            sessionStore = retry("open the session hand-over bucket", () -> SessionStore.open(nats,
                    config.subjects().prefix(), config.gateway().sessionTtl()));
            GatewayBot bot;
            try {
                bot = new GatewayBotClient(config.apiUrl(), config.token()).fetchWithRetry();
            } catch (DiscoveryException e) {
                failWithoutDiscovery(e);
                return;
            }
            startShards(bot);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "gateway role could not start: " + e, e);
        }
    }

    private Connection connectNats() throws IOException, InterruptedException {
        Options options = Options.builder()
                .servers(config.natsUrls().toArray(String[]::new))
                .connectionName("shardgate-gateway-proxy")
                .maxReconnects(-1)
                .reconnectWait(Duration.ofSeconds(1))
                .connectionTimeout(Duration.ofSeconds(5))
                .connectionListener(natsStatus)
                .errorListener(natsStatus)
                .build();
        return Nats.connect(options);
    }

    private void failWithoutDiscovery(DiscoveryException e) {
        LOG.log(System.Logger.Level.ERROR, e.getMessage());
        if (config.shardCount() > 0) {
            Map<Integer, Shard> created = createShards(config.shardCount(),
                    new GatewayBot.SessionStartLimit(1, 0, Duration.ofDays(1), 1), config.apiUrl());
            created.values().forEach(s -> s.fail(e.getMessage()));
        }
    }

    private void startShards(GatewayBot bot) {
        int count = config.shardCount() > 0 ? config.shardCount() : bot.shards();
        GatewayBot.SessionStartLimit limit = bot.sessionStartLimit();
        Map<Integer, Shard> created = createShards(count, limit, bot.url());
        if (created.isEmpty()) {
            return;
        }
        LOG.log(System.Logger.Level.INFO, "starting shards {0} of {1} (max_concurrency {2}, {3} session starts left)",
                created.keySet(), count, limit.maxConcurrency(), limit.remaining());
        Map<Integer, Optional<HandedOverSession>> handedOver = new TreeMap<>();
        for (Shard shard : created.values()) {
            Optional<HandedOverSession> handed = takeHandedOver(shard.id());
            handedOver.put(shard.id(), handed);
            if (handed.isEmpty()) {
                identifyQueue.reserve(shard.id());
            }
        }
        identifyQueue.identifiedElsewhere(lastIdentifies(limit.maxConcurrency()));
        identifyQueue.admit(limit);
        for (Shard shard : created.values()) {
            Optional<HandedOverSession> handed = handedOver.get(shard.id());
            shard.start(handed.map(HandedOverSession::session), handed.map(HandedOverSession::seq).orElse(-1L));
        }
        commands = CommandService.start(nats, config.subjects(), count, created);
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
        identifyQueue = new IdentifyQueue(limit, Clock.systemUTC(), () -> discovery.fetch().sessionStartLimit(),
                sessionStore::recordIdentify);
        Gauge.builder("shardgate_identify_budget_remaining", identifyQueue, IdentifyQueue::remaining)
                .description("Session starts left before reset_after, as this process counts them").register(registry);
        publisher = new EventPublisher(nats, config.subjects(), config.gateway().publishBuffer(), registry);
        ShardContext ctx = new ShardContext(config.token(), count, config.intents(), config.compression(), url,
                config.gateway(), identifyQueue, publisher, heartbeats, timers, Clock.systemUTC(), System::nanoTime,
                new Random(), registry);
        Map<Integer, Shard> created = new TreeMap<>();
        for (int id : ids) {
            created.put(id, new Shard(id, ctx));
        }
        shards = Map.copyOf(created);
        return created;
    }

    /** When the previous process of these shards identified, per bucket; empty when unknown. */
    private Map<Integer, Instant> lastIdentifies(int buckets) {
        try {
            return sessionStore.lastIdentifies(buckets);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "identify records unreadable ({0}); a bucket used by the previous "
                    + "process within 5 s may answer op 9 once", e.toString());
            return Map.of();
        }
    }

    private Optional<HandedOverSession> takeHandedOver(int shard) {
        try {
            return sessionStore.take(shard);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "shard {0}: handed-over session unreadable, identifying: {1}", shard,
                    e.toString());
            return Optional.empty();
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
     * The SIGTERM hand-over: closes every shard with a resumable code, flushes buffered events, and stores each
     * session with the highest sequence whose events are all in the stream, so the next proxy resumes.
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
        List<HandedOverSession> handed = new ArrayList<>();
        List<CompletableFuture<Optional<HandedOverSession>>> futures = shards.values().stream()
                .map(Shard::handOver).toList();
        futures.forEach(f -> f.join().ifPresent(handed::add));
        if (publisher != null) {
            try {
                if (!publisher.flush(FLUSH_TIMEOUT)) {
                    LOG.log(System.Logger.Level.WARNING, "{0} events not acknowledged by JetStream at shutdown; "
                            + "the stored sequences stop before them so the next proxy gets them replayed",
                            publisher.pending());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (HandedOverSession s : handed) {
                long safe = publisher.safeSeq(s.shard(), s.session().sessionId(), s.seq());
                try {
                    sessionStore.save(new HandedOverSession(s.shard(), s.session(), safe));
                } catch (Exception e) {
                    LOG.log(System.Logger.Level.ERROR, "shard {0}: session not stored, the next proxy will identify: "
                            + "{1}", s.shard(), e.toString());
                }
            }
            LOG.log(System.Logger.Level.INFO, "handed over {0} session(s)", handed.size());
            publisher.close();
        }
        shards.values().forEach(Shard::close);
        if (identifyQueue != null) {
            identifyQueue.close();
        }
        heartbeats.shutdownNow();
        timers.shutdownNow();
        if (nats != null) {
            try {
                nats.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        admin.close();
    }
}
