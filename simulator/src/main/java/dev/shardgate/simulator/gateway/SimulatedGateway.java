package dev.shardgate.simulator.gateway;

import dev.shardgate.simulator.events.EventFactory;
import dev.shardgate.simulator.events.GuildCatalog;
import dev.shardgate.simulator.events.SimEvent;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.lang.System.Logger.Level;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.java_websocket.server.DefaultSSLWebSocketServerFactory;

/**
 * The simulated Discord gateway: two websocket servers (the advertised URL and the {@code resume_gateway_url}),
 * the engine that behaves like Discord, and the control and observation API for tests.
 *
 * <p>Threads: one "sim-gateway" loop thread owns all gateway state and runs the engine, the periodic sweep
 * (heartbeat timeouts, resume windows) and every control call; the websocket servers' own threads only hand
 * work to it. Control methods wait until the loop has done the work, so its effect has happened when they
 * return. Observation methods never wait: they read snapshots the loop publishes. {@link #close()} stops all.
 */
public final class SimulatedGateway implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SimulatedGateway.class.getName());
    private static final Duration CONTROL_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern EVENT_NAME = Pattern.compile("[A-Z0-9_]{1,64}");
    private static final JsonFactory JSON = new JsonFactory();

    private final GatewaySettings settings;
    private final GatewayRecorder recorder;
    private final SessionStartBudget budget;
    private final EventFactory events;
    private final ScheduledExecutorService loop;
    private final GatewayEngine engine;
    private final GatewayServer primary;
    private final GatewayServer resume;
    private final String url;
    private final String resumeUrl;

    @SuppressWarnings("FutureReturnValueIgnored") // the sweep runs guarded (logs its failures); close() ends it
    private SimulatedGateway(GatewaySettings settings, EventFactory events, String bindAddress, String advertisedHost,
                             int primaryPort, int resumePort, SSLContext tls) {
        this.settings = settings;
        this.events = events;
        this.recorder = new GatewayRecorder(settings.ledgerCapacity());
        this.budget = new SessionStartBudget(settings.clock(), settings.sessionStartTotal(),
                settings.sessionStartRemaining(), settings.sessionStartResetAfter(), Duration.ofHours(24));
        this.loop = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sim-gateway");
            t.setDaemon(true);
            return t;
        });
        this.engine = new GatewayEngine(settings, recorder, budget, events);
        this.primary = new GatewayServer(new InetSocketAddress(bindAddress, primaryPort), Endpoint.PRIMARY, engine,
                this::runOnLoop, settings.clock());
        this.resume = new GatewayServer(new InetSocketAddress(bindAddress, resumePort), Endpoint.RESUME, engine,
                this::runOnLoop, settings.clock());
        String scheme = "ws://";
        if (tls != null) {
            primary.setWebSocketFactory(new DefaultSSLWebSocketServerFactory(tls));
            resume.setWebSocketFactory(new DefaultSSLWebSocketServerFactory(tls));
            scheme = "wss://";
        }
        primary.start();
        resume.start();
        this.url = scheme + advertisedHost + ":" + awaitPort(primary);
        this.resumeUrl = scheme + advertisedHost + ":" + awaitPort(resume);
        runOnLoop(() -> engine.resumeGatewayUrl(resumeUrl));
        long sweepMillis = Math.clamp(settings.heartbeatInterval().toMillis() / 10, 5, 250);
        loop.scheduleWithFixedDelay(() -> guarded(engine::sweep), sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
    }

    /** Binds both websocket servers (port 0 picks a free one) and starts serving. */
    public static SimulatedGateway start(GatewaySettings settings, EventFactory events, String bindAddress,
                                         String advertisedHost, int primaryPort, int resumePort) {
        return start(settings, events, bindAddress, advertisedHost, primaryPort, resumePort, null);
    }

    /** @param tls serves {@code wss://} with this context's certificate; null serves plain {@code ws://} */
    public static SimulatedGateway start(GatewaySettings settings, EventFactory events, String bindAddress,
                                         String advertisedHost, int primaryPort, int resumePort, SSLContext tls) {
        return new SimulatedGateway(settings, events, bindAddress, advertisedHost, primaryPort, resumePort, tls);
    }

    private static int awaitPort(GatewayServer server) {
        try {
            return server.started().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the gateway", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the gateway server could not start", e);
        }
    }

    /** Package-private so that tests can hold the loop to see what happens to work that waits for it. */
    void runOnLoop(Runnable task) {
        loop.execute(() -> guarded(task));
    }

    /** A failure in one task is logged and never stops the loop. */
    private static void guarded(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "gateway loop task failed", e);
        }
    }

    private <T> T call(Callable<T> task) {
        try {
            return loop.submit(task).get(CONTROL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("gateway control call failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("gateway loop did not answer within " + CONTROL_TIMEOUT, e);
        }
    }

    // ---- addresses and settings ----

    /** The URL {@code /gateway} and {@code /gateway/bot} advertise, e.g. {@code ws://127.0.0.1:PORT}. */
    public String url() {
        return url;
    }

    /** The {@code resume_gateway_url} READY carries: a second port, so tests can see where resumes land. */
    public String resumeUrl() {
        return resumeUrl;
    }

    public GatewaySettings settings() {
        return settings;
    }

    public SessionStartBudget sessionStartLimit() {
        return budget;
    }

    // ---- observation (wait-free) ----

    /** Every Identify received, in order. */
    public List<IdentifyRecord> identifies() {
        return recorder.identifies();
    }

    /** Every Resume received, in order. */
    public List<ResumeRecord> resumes() {
        return recorder.resumes();
    }

    /** Every session ever started, in no particular order. */
    public List<SessionView> sessions() {
        return recorder.sessions(s -> true);
    }

    public List<SessionView> sessions(int shardId) {
        return recorder.sessions(s -> s.shardId() == shardId);
    }

    /** The shard's sessions that are active or still resumable. */
    public List<SessionView> liveSessions(int shardId) {
        return recorder.sessions(s -> s.shardId() == shardId
                && (s.state() == SessionState.ACTIVE || s.state() == SessionState.DISCONNECTED));
    }

    public int sessionStartRemaining() {
        return budget.remaining();
    }

    /** Whether the daily session-start budget ran out, so Discord reset the token (proxies must never cause it). */
    public boolean tokenReset() {
        return recorder.tokenReset();
    }

    /** Close codes the simulator sent, with how often. */
    public Map<Integer, Long> closesSent() {
        return recorder.closesSent();
    }

    public long closesSent(int code) {
        return recorder.closesSent().getOrDefault(code, 0L);
    }

    /** Codes of the close frames clients sent, with how often (a dropped connection sends none). */
    public Map<Integer, Long> closesReceived() {
        return recorder.closesReceived();
    }

    /** Every payload clients sent (newest {@code ledgerCapacity}). */
    public List<CommandRecord> commands() {
        return recorder.commands(c -> true);
    }

    /** Payloads sent on connections of this shard (after they identified or resumed). */
    public List<CommandRecord> commands(int shardId) {
        return recorder.commands(c -> c.shardId() == shardId);
    }

    /** Gateway connections opened so far, by the {@code compress} value of their URL ("" for none). */
    public Map<String, Long> connectionsByCompress() {
        return recorder.connectionsByCompress();
    }

    /** Open gateway connections (a connection swallowed by {@link ResumeFault#NO_HELLO} is not one). */
    public int connectionCount() {
        return recorder.connections();
    }

    /**
     * Open connections attributed to the shard. A connection is attributed once it sent an Identify that passed
     * the token, shard and intents checks (even if pacing then answered op 9) or a Resume with the right token
     * for a live session of the shard (whatever its seq); it counts until the server sees its socket closed.
     */
    public int openConnections(int shardId) {
        return recorder.shardConnections().open(shardId);
    }

    /** {@link #openConnections(int)} of every shard that has any, by shard id. */
    public Map<Integer, Integer> openConnections() {
        return recorder.shardConnections().open();
    }

    /**
     * The most connections attributed to the shard that were open at the same time since the start or the last
     * {@link #resetPeakConnections()}: above 1 means two connections served one shard at once. Exact: every attach
     * updates it, nothing samples.
     */
    public int peakConnections(int shardId) {
        return recorder.shardConnections().peak(shardId);
    }

    /** {@link #peakConnections(int)} of every shard that had an attributed connection since the last reset. */
    public Map<Integer, Integer> peakConnections() {
        return recorder.shardConnections().peaks();
    }

    /** Every dispatch given a seq on any session, in order (newest {@code ledgerCapacity}). */
    public List<DispatchRecord> ledger() {
        return recorder.ledger(r -> true);
    }

    public List<DispatchRecord> ledger(int shardId) {
        return recorder.ledger(r -> r.shardId() == shardId);
    }

    public List<DispatchRecord> ledgerOfSession(String sessionId) {
        return recorder.ledger(r -> r.sessionId().equals(sessionId));
    }

    /** Ledger entries discarded because the ledger was full. */
    public long ledgerDropped() {
        return recorder.ledgerDropped();
    }

    /** How often each session and connection state change happened, e.g. {@code session ACTIVE->DISCONNECTED}. */
    public Map<String, Long> transitions() {
        return recorder.transitions();
    }

    /** Dispatch frames written to sockets, replays included. */
    public long dispatchesSent() {
        return recorder.dispatchesSent();
    }

    /** The guild ids shard {@code shardId} streams in READY, for the configured shard count. */
    public long[] guildIds(int shardId) {
        return GuildCatalog.guildIds(shardId, settings.shards(), settings.guildsPerShard());
    }

    // ---- control (waits until applied) ----

    /**
     * Sends a dispatch with this {@code t} and {@code d} on every live session of the shard, whatever its intents;
     * returns how many sessions got it. {@code d} goes on the wire byte for byte.
     *
     * @throws IllegalArgumentException if {@code t} is not an event name or {@code d} is not one JSON value
     */
    public int dispatch(int shardId, String type, String dJson) {
        if (type == null || !EVENT_NAME.matcher(type).matches()) {
            throw new IllegalArgumentException("not an event name: " + type);
        }
        byte[] d = dJson.getBytes(StandardCharsets.UTF_8);
        try (JsonParser p = JSON.createParser(d)) {
            if (p.nextToken() == null) {
                throw new IllegalArgumentException("d is empty");
            }
            p.skipChildren();
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("d must be exactly one JSON value");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("d is not JSON: " + e.getMessage(), e);
        }
        return call(() -> engine.dispatchToShard(shardId, type, d));
    }

    /** Emits {@code count} generated events for the shard's guilds at once; returns how many were generated. */
    public int burst(int shardId, int count) {
        long[] guilds = guildIds(shardId);
        if (guilds.length == 0) {
            return 0;
        }
        List<SimEvent> burst = new java.util.ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            burst.add(events.randomEvent(guilds[i % guilds.length]));
        }
        return call(() -> {
            burst.forEach(engine::deliver);
            return burst.size();
        });
    }

    /** Hands a generated event to the loop without waiting (the event generator's path). */
    public void emit(SimEvent event) {
        runOnLoop(() -> engine.deliver(event));
    }

    /**
     * Starts measuring a new phase: each shard's peak becomes the number of its connections open right now.
     * Runs on the loop, so no attach or close is lost between the reset and the next reading.
     */
    public void resetPeakConnections() {
        call(() -> {
            recorder.shardConnections().resetPeaks();
            return null;
        });
    }

    /**
     * Breaks the {@link #resumeUrl()} for connections that start after this call (NONE repairs it); connections
     * already open are left alone, and the main {@link #url()} keeps working, so a client must fall back to it.
     */
    public void breakResumeUrl(ResumeFault fault) {
        resume.fault(Objects.requireNonNull(fault, "fault (NONE repairs the resume URL)"));
    }

    public ResumeFault resumeUrlFault() {
        return resume.fault();
    }

    /** Connections the broken resume URL refused or swallowed, since the start. */
    public long brokenResumeConnections() {
        return resume.faultedConnections();
    }

    /** Injects a fault into the shard; returns how many connections (or, for INVALIDATE_SESSION, sessions). */
    public int inject(int shardId, Fault fault) {
        if (fault == Fault.CLOSE) {
            throw new IllegalArgumentException("CLOSE needs a code: use close(shard, code)");
        }
        return call(() -> engine.inject(shardId, fault, 0));
    }

    public int zombie(int shardId) {
        return inject(shardId, Fault.ZOMBIE);
    }

    public int dropConnection(int shardId) {
        return inject(shardId, Fault.DROP);
    }

    public int close(int shardId, int code) {
        if (code < 1000 || code > 4999) {
            throw new IllegalArgumentException("not a websocket close code: " + code);
        }
        return call(() -> engine.inject(shardId, Fault.CLOSE, code));
    }

    public int sendGarbage(int shardId) {
        return inject(shardId, Fault.GARBAGE);
    }

    public int corruptZlib(int shardId) {
        return inject(shardId, Fault.CORRUPT_ZLIB);
    }

    public int reconnect(int shardId) {
        return inject(shardId, Fault.RECONNECT);
    }

    public int invalidSession(int shardId, boolean resumable) {
        return inject(shardId, resumable ? Fault.INVALID_SESSION_RESUMABLE : Fault.INVALID_SESSION);
    }

    public int invalidateSession(int shardId) {
        return inject(shardId, Fault.INVALIDATE_SESSION);
    }

    public int stall(int shardId) {
        return inject(shardId, Fault.STALL);
    }

    public int requestHeartbeat(int shardId) {
        return inject(shardId, Fault.REQUEST_HEARTBEAT);
    }

    public int heal(int shardId) {
        return inject(shardId, Fault.HEAL);
    }

    @Override
    public void close() {
        try {
            call(() -> {
                engine.closeAll();
                return null;
            });
        } catch (IllegalStateException e) {
            LOG.log(Level.WARNING, "closing gateway connections failed: {0}", e.getMessage());
        }
        try {
            primary.stop(2000);
            resume.stop(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loop.shutdownNow();
    }
}
