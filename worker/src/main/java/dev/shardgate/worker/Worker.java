package dev.shardgate.worker;

import dev.shardgate.config.Backoff;
import dev.shardgate.worker.consume.Consumers;
import dev.shardgate.worker.consume.Consumption;
import dev.shardgate.worker.consume.DeadLetters;
import dev.shardgate.worker.consume.DeliveryPolicy;
import dev.shardgate.worker.consume.EventProcessor;
import dev.shardgate.worker.consume.InFlight;
import dev.shardgate.worker.consume.OrderedConsumption;
import dev.shardgate.worker.consume.PullPause;
import dev.shardgate.worker.consume.SharedConsumption;
import dev.shardgate.worker.gateway.GatewayClient;
import dev.shardgate.worker.gateway.GatewayException;
import dev.shardgate.worker.rest.RestClient;
import dev.shardgate.worker.route.Membership;
import dev.shardgate.worker.route.Router;
import dev.shardgate.worker.route.ShardClaims;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker replica: connects to NATS (reconnecting forever), waits for the event stream, consumes it through
 * the shared durable consumer (or per-shard consumers in ordered mode), runs handlers on virtual threads and
 * drains on {@link #drain()} (what a SIGTERM calls). Its state is one {@link WorkerState}, changed only by
 * {@link #transition}. Owns the NATS connection, the handler executor, a scheduler thread that extends the ack
 * deadline of events in flight, the metrics server, and through its {@link Consumption} the pull loops.
 *
 * <pre>{@code
 * Worker worker = Worker.builder(WorkerConfig.fromEnvironment())
 *         .on("MESSAGE_CREATE", event -> ...)
 *         .build();
 * worker.start();
 * worker.drainOnShutdown();
 * }</pre>
 */
public final class Worker {
    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);
    /** NATS reconnects, waiting for the stream and for the shard count. */
    private static final Backoff RECONNECT = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10));
    private static final Duration GATEWAY_TIMEOUT = Duration.ofSeconds(5);

    private final WorkerConfig config;
    private final Router router;
    private final Clock clock;
    private final MeterRegistry registry;
    private final ObjectMapper json;
    private final Options natsOptions;
    private final WorkerMetrics metrics;
    private final InFlight inFlight;
    private final PullPause pause = new PullPause();
    private final RestClient rest;
    private final String replicaId = UUID.randomUUID().toString();
    private final ExecutorService handlers = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("handler-", 0).factory());
    private final ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("ack-progress").daemon().factory());
    private final Object lock = new Object();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private WorkerState state = WorkerState.NEW;
    private final GatewayClient gateway;
    private volatile Connection connection;
    private Consumption consumption;
    private volatile EventProcessor processor;
    private MetricsServer metricsServer;

    private Worker(Builder b) {
        this.config = b.config;
        this.router = b.routes.build();
        this.clock = b.clock;
        this.registry = b.registry();
        this.json = b.json();
        this.natsOptions = b.natsOptions;
        this.inFlight = new InFlight(config.maxInFlight());
        this.metrics = new WorkerMetrics(registry, inFlight::running, inFlight::requested, config.maxInFlight());
        metrics.pullPause(pause::paused);
        metrics.slowHandlers(() -> inFlight.runningLongerThan(config.slowHandler()));
        this.rest = b.rest;
        this.gateway = b.gateway;
    }

    public static Builder builder(WorkerConfig config) {
        return new Builder(config);
    }

    public WorkerState state() {
        synchronized (lock) {
            return state;
        }
    }

    /** The REST client through the REST proxy; usable at once. */
    public RestClient rest() {
        return rest;
    }

    /** The gateway command client; its calls work once {@link #start()} has connected. */
    public GatewayClient gateway() {
        return gateway;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The metrics server's port (useful when configured as 0 = none, or to find an ephemeral one). */
    public int metricsPort() {
        synchronized (lock) {
            return metricsServer == null ? 0 : metricsServer.port();
        }
    }

    /**
     * Connects, waits for the event stream and starts consuming. Blocks until NATS answers and the stream exists;
     * returns early if {@link #drain()} is called meanwhile.
     */
    @SuppressWarnings("FutureReturnValueIgnored") // the ack-extension tick: extend() catches its failures; drain/close end it
    public void start() throws IOException, InterruptedException {
        transition(WorkerState.NEW, WorkerState.WAITING_FOR_STREAM);
        if (config.metricsPort() > 0) {
            synchronized (lock) {
                metricsServer = new MetricsServer(config.metricsPort(), registry, this::state);
                LOG.info("serving /metrics, /healthz and /readyz on port " + metricsServer.port());
            }
        }
        LOG.info("starting worker " + replicaId + " with " + config + ", handlers for " + router.types());
        connection = Nats.connectReconnectOnConnect(natsOptions());
        DeadLetters deadLetters = new DeadLetters(connection.jetStream(), config.subjects(), config.deadLetterStream());
        if (!awaitStreams(deadLetters)) {
            return;
        }
        processor = new EventProcessor(router,
                new DeliveryPolicy(config.maxDeliveries(), config.redeliveryBackoff(), config.transientBackoff(),
                        config.transientRetryLimit(), config::maxAgeOf, clock),
                deadLetters, metrics, pause, rest, gateway, json);
        Consumers consumers = new Consumers(connection, config.eventsStream(), config.ackWait());
        String membershipBucket = Membership.bucketName(config.subjects().prefix(), config.consumer());
        Consumption chosen = config.ordered()
                ? new OrderedConsumption(consumers, config.consumer(), config.subjects(), shardCount(),
                        new Membership(connection, membershipBucket, replicaId),
                        new ShardClaims(connection, ShardClaims.bucketName(membershipBucket)), processor, inFlight,
                        handlers, metrics)
                : new SharedConsumption(consumers, config.consumer(), config.subjects(), processor, inFlight,
                        handlers);
        synchronized (lock) {
            if (state != WorkerState.WAITING_FOR_STREAM) {
                return;
            }
            consumption = chosen;
            try {
                chosen.start();
            } catch (Exception e) {
                throw new IOException("cannot start consuming: " + e.getMessage(), e);
            }
        }
        long tick = Math.max(config.ackWait().toMillis() / 3, 100);
        progress.scheduleAtFixedRate(() -> {
            inFlight.forEachHeld(this::extend);
            inFlight.forEachNewlySlow(config.slowHandler(), m -> LOG.warn("the handler of " + m.getSubject()
                    + " has run for over " + config.slowHandler() + "; its event stays held (its ack deadline extended) "
                    + "until it returns or the replica drains, and the other slots go on serving"));
        }, tick, tick, TimeUnit.MILLISECONDS);
        transition(WorkerState.WAITING_FOR_STREAM, WorkerState.RUNNING);
    }

    /**
     * Stops pulling, lets handlers finish what this replica holds, acks, closes; gives up after the drain timeout
     * (what is left unacked is redelivered to another replica). Safe to call more than once and from any thread.
     *
     * @return whether everything held was finished in time
     */
    public boolean drain() {
        Consumption c;
        synchronized (lock) {
            if (state == WorkerState.DRAINING || state == WorkerState.STOPPED) {
                return true;
            }
            setState(WorkerState.DRAINING);
            c = consumption;
        }
        if (processor != null) {
            processor.stop();
        }
        Instant deadline = clock.instant().plus(config.drainTimeout());
        boolean clean = true;
        try {
            if (c != null) {
                c.stop();
                clean = c.awaitDone(left(deadline)) && inFlight.awaitIdle(left(deadline));
                if (!clean) {
                    LOG.warn("drain timeout " + config.drainTimeout() + " reached with " + inFlight.running()
                            + " events in flight; they will be redelivered to another replica");
                    c.abort();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            clean = false;
        }
        progress.shutdownNow();
        closeConnection();
        handlers.shutdownNow();
        synchronized (lock) {
            if (metricsServer != null) {
                metricsServer.close();
            }
            setState(WorkerState.STOPPED);
        }
        stopped.countDown();
        return clean;
    }

    /** Blocks until the worker has drained and stopped. */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /** Drains when the JVM is asked to stop (SIGTERM, SIGINT). */
    public void drainOnShutdown() {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("worker-drain").unstarted(this::drain));
    }

    private boolean awaitStreams(DeadLetters deadLetters) throws IOException, InterruptedException {
        Instant nextLog = Instant.EPOCH;
        for (int failures = 1; state() == WorkerState.WAITING_FOR_STREAM; failures++) {
            try {
                connection.jetStreamManagement().getStreamInfo(config.eventsStream());
                deadLetters.ensureStream(connection.jetStreamManagement());
                return true;
            } catch (JetStreamApiException | IOException e) {
                if (Instant.now().isAfter(nextLog)) {
                    LOG.info("waiting for stream " + config.eventsStream()
                            + " (the gateway proxy creates it): " + e.getMessage());
                    nextLog = Instant.now().plusSeconds(30);
                }
            }
            Thread.sleep(RECONNECT.delay(failures).toMillis()); // retry pacing while the proxy is not there yet
        }
        return false;
    }

    private int shardCount() throws InterruptedException {
        if (config.shardCount() > 0) {
            return config.shardCount();
        }
        for (int failures = 1; ; failures++) {
            try {
                return gateway.info().shardCount();
            } catch (GatewayException e) {
                LOG.info("ordered mode needs the shard count; gateway info: " + e.getMessage()
                        + " (set SHARD_COUNT to skip this); retrying");
                Thread.sleep(RECONNECT.delay(failures).toMillis()); // retry pacing while no proxy answers
            }
        }
    }

    private void extend(Message message) {
        try {
            message.inProgress();
        } catch (RuntimeException e) {
            LOG.atDebug().setMessage(() -> "cannot extend the ack deadline of " + message.getSubject() + ": " + e).log();
        }
    }

    /**
     * The application's options, or ours from the config, with our connection listener added. jnats 2.26 deprecates
     * the listener's two-argument method but it is still the interface's one abstract method, implemented and
     * forwarded here.
     */
    @SuppressWarnings("deprecation")
    private Options natsOptions() {
        Options.Builder options;
        ConnectionListener theirs;
        if (natsOptions != null) {
            options = new Options.Builder(natsOptions);
            theirs = natsOptions.getConnectionListener();
        } else {
            options = Options.builder()
                    .servers(config.natsUrls().toArray(String[]::new))
                    .connectionName("shardgate-worker-" + replicaId)
                    .maxReconnects(-1)
                    .reconnectDelayHandler(RECONNECT::delay);
            theirs = null;
        }
        return options.connectionListener((conn, event) -> {
            LOG.info("NATS " + event);
            metrics.natsEvent(event.name().toLowerCase(Locale.ROOT));
            if (theirs != null) {
                theirs.connectionEvent(conn, event);
            }
        }).build();
    }

    private void closeConnection() {
        Connection c = connection;
        if (c == null) {
            return;
        }
        try {
            c.flush(Duration.ofSeconds(2)); // acks are published asynchronously: send them before closing
        } catch (Exception e) {
            LOG.warn("could not flush the last acks (" + e.getMessage() + "); those events are redelivered");
        }
        try {
            c.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Duration left(Instant deadline) {
        Duration d = Duration.between(clock.instant(), deadline);
        return d.isNegative() ? Duration.ZERO : d;
    }

    private void transition(WorkerState from, WorkerState to) {
        synchronized (lock) {
            if (state != from) {
                throw new IllegalStateException("worker is " + state + ", expected " + from + " to become " + to);
            }
            setState(to);
        }
    }

    /** The one place the state changes; callers hold {@link #lock}. */
    private void setState(WorkerState to) {
        LOG.info("worker " + state + " -> " + to);
        state = to;
        metrics.stateChange(to);
    }

    /**
     * Collects handlers and what the application brings, then builds the worker. The clients handlers call
     * ({@link #rest()}, {@link #gateway()}) come from the builder, so handlers can capture them when they are
     * registered; they are made on first use with the registry and mapper set before, so set those first.
     */
    public static final class Builder {
        private final WorkerConfig config;
        private final Router.Builder routes = Router.builder();
        private MeterRegistry registry;
        private ObjectMapper json;
        private Options natsOptions;
        private RestClient rest;
        private GatewayClient gateway;
        private volatile Worker worker;
        private Clock clock = Clock.systemUTC();

        private Builder(WorkerConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        /**
         * The application's meter registry, which the worker's meters join. Without one the worker makes its own: a
         * Prometheus registry when {@code WORKER_METRICS_PORT} asks for the port, else a simple one.
         */
        public Builder meterRegistry(MeterRegistry registry) {
            unfrozen("the meter registry");
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /**
         * The application's JSON mapper (its modules and settings) for event bodies, REST and gateway commands. The
         * worker uses a copy with Discord4J's modules added and unknown fields allowed; the application's instance
         * is not changed. Without one, a fresh mapper.
         */
        public Builder json(ObjectMapper json) {
            unfrozen("the JSON mapper");
            this.json = JsonMappers.forDiscord(Objects.requireNonNull(json, "json"));
            return this;
        }

        /**
         * The application's NATS options (servers, TLS, credentials, reconnect policy), used instead of
         * {@code NATS_URL}; the worker adds only a connection listener for its logs and metrics, and still calls the
         * application's own listener.
         */
        public Builder natsOptions(Options options) {
            this.natsOptions = Objects.requireNonNull(options, "options");
            return this;
        }

        public synchronized RestClient rest() {
            if (rest == null) {
                rest = new RestClient(config.restProxyUrl(), config.restProxySecret(), registry(), json());
            }
            return rest;
        }

        public synchronized GatewayClient gateway() {
            if (gateway == null) {
                gateway = new GatewayClient(() -> {
                    Connection c = worker == null ? null : worker.connection;
                    if (c == null) {
                        throw new IllegalStateException("the worker is not connected to NATS yet");
                    }
                    return c;
                }, config.subjects(), GATEWAY_TIMEOUT, json());
            }
            return gateway;
        }

        /**
         * A handler for a dispatch by name, given the raw event (its bytes, and {@link Event#json()} or
         * {@link Event#as(Class)} to parse them). A name Discord does not document is logged as a warning: it is
         * usually a typo, and its handler would never run.
         */
        public Builder on(String type, EventHandler handler) {
            routes.on(type, handler);
            if (!Events.KNOWN.contains(type)) {
                LOG.warn("a handler is registered for " + type + ", which is not a Discord dispatch"
                        + Events.closest(type).map(k -> " (did you mean " + k + "?)").orElse("")
                        + "; it runs only if an event of that name is published");
            }
            return this;
        }

        /** A typed handler: the body bound to the event type's model, with the context (and the raw event). */
        public <T> Builder on(EventType<T> type, TypedHandler<T> handler) {
            Objects.requireNonNull(handler, "handler");
            Class<T> payload = type.payload();
            return on(type.name(), event -> handler.handle(event.as(payload), event.context()));
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public Worker build() {
            if (worker != null) {
                throw new IllegalStateException("this builder already built a worker");
            }
            rest();
            gateway();
            worker = new Worker(this);
            return worker;
        }

        private synchronized MeterRegistry registry() {
            if (registry == null) {
                registry = config.metricsPort() > 0 ? MetricsServer.newRegistry() : new SimpleMeterRegistry();
            }
            return registry;
        }

        private synchronized ObjectMapper json() {
            if (json == null) {
                json = JsonMappers.lenient();
            }
            return json;
        }

        private synchronized void unfrozen(String what) {
            if (rest != null || gateway != null) {
                throw new IllegalStateException("set " + what + " before asking the builder for its clients");
            }
        }
    }
}
