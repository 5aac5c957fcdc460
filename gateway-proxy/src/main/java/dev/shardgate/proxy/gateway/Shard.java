package dev.shardgate.proxy.gateway;

import dev.shardgate.protocol.CloseAction;
import dev.shardgate.protocol.CloseCode;
import dev.shardgate.protocol.GatewayFrame;
import dev.shardgate.protocol.GatewayLimits;
import dev.shardgate.protocol.Opcode;
import dev.shardgate.protocol.Payloads;
import dev.shardgate.proxy.concurrent.SerialExecutor;
import dev.shardgate.proxy.fleet.Checkpoint;
import dev.shardgate.proxy.gateway.inflate.TransportDecompressor;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One Discord shard for the life of the process: a state machine ({@link ShardState}, changed only in
 * {@link #setState}) over a series of single-use {@link GatewayConnection}s, each with its own decompressor,
 * heartbeater and send limiter. It identifies through the process's {@link IdentifyQueue}, resumes whenever the
 * session allows, and hands every dispatch to the {@link EventSink}.
 *
 * <p>Threads: owns none for good. All mutable state is confined to the shard's {@link SerialExecutor}, which runs one
 * task at a time: a received frame's work on {@code gateway-io} (the {@link GatewaySelector} thread that reads every
 * connection) when nothing else is pending (no hand-off per event; that work never blocks),
 * everything else (identify grants, timers, leases, commands, the connection's open and close) on a virtual thread
 * {@code shard-N} it starts when needed. Heartbeats run on the shared heartbeat scheduler and touch only the
 * {@link Heartbeater}. Fields read by status snapshots are volatile.
 */
public final class Shard {
    private static final System.Logger LOG = System.getLogger(Shard.class.getName());
    private static final Duration HELLO_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration ROOM_POLL = Duration.ofMillis(250);
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

    private final int id;
    private final ShardContext ctx;
    private final SerialExecutor exec;
    private final ShardMetrics metrics;
    private final ReconnectPolicy reconnects;
    private final StormBreaker stormBreaker;
    private final GatewayConnection.Listener listener = new ConnectionEvents();

    private volatile ShardState state = ShardState.IDLE;
    private volatile long seq = GatewayFrame.NO_SEQ;
    private volatile Session session;
    private volatile String reason;
    private volatile Heartbeater heartbeater;
    private volatile Instant lastResumedAt;
    private GatewayConnection connection;
    private SendLimiter limiter;
    /** The session's resume URL failed (handshake, or no Hello): resume through the main URL instead. */
    private boolean resumeUrlBroken;
    private boolean onResumeUrl;
    private final SilenceWatchdog watchdog;

    public Shard(int id, ShardContext ctx) {
        this.id = id;
        this.ctx = ctx;
        this.exec = new SerialExecutor("shard-" + id);
        this.metrics = new ShardMetrics(ctx.registry(), id, () -> seq);
        this.reconnects = new ReconnectPolicy(ctx.random());
        this.stormBreaker = new StormBreaker(ctx.settings().stormMaxIdentifies(), ctx.settings().stormWindow());
        this.watchdog = new SilenceWatchdog(ctx.settings().watchdogMinSilence());
    }

    public int id() {
        return id;
    }

    ShardState state() {
        return state;
    }

    /** Waits for this process to take the shard's ownership lease; nothing connects before. */
    public void awaitLease() {
        onShardThread(() -> {
            if (state == ShardState.IDLE) {
                setState(ShardState.AWAITING_LEASE, null);
            }
        });
    }

    /**
     * This process now holds the shard's lease: connect, resuming from the checkpoint when there is one (the
     * previous owner's session, handed over or left behind by a crash), else identifying through the queue. The
     * caller has already taken the shard's place in the identify queue, in the order the leases came (shard order at
     * start); a resume gives it back.
     */
    public void leaseAcquired(Optional<Checkpoint> checkpoint) {
        onShardThread(() -> {
            if (state.isTerminal() || connection != null || !ctx.leases().holds(id)) {
                ctx.identifyQueue().cancel(id);
                return;
            }
            checkpoint.ifPresent(c -> {
                ctx.identifyQueue().cancel(id); // resuming: the place taken when the lease came is not needed
                seq = c.seq(); // before the session: position() must never pair this session with another's seq
                session = c.session();
                LOG.log(System.Logger.Level.INFO, "shard {0}: resuming session {1} from its checkpoint at seq {2}",
                        id, c.session().sessionId(), c.seq());
            });
            connect();
        });
    }

    /**
     * The lease is gone (not renewed in time, or taken over): stop publishing and disconnect at once, resumably, so
     * the next owner resumes from the last checkpoint. The session is forgotten here; if this process takes the
     * lease again it reads the checkpoint anew, since another instance may have moved the session on meanwhile.
     */
    public void leaseLost(String why) {
        onShardThread(() -> fence(why));
    }

    private void fence(String why) {
        if (state.isTerminal() || state == ShardState.AWAITING_LEASE) {
            return;
        }
        detach(CloseCode.RESUMABLE_CLIENT_CLOSE);
        session = null;
        seq = GatewayFrame.NO_SEQ;
        setState(ShardState.AWAITING_LEASE, why);
    }

    /**
     * The session and the last sequence received, read consistently from any thread (a session changes only with
     * the sequence reset first); empty without a session or before its first dispatch.
     */
    @SuppressWarnings("ReferenceEquality") // identity is the point: the same session object before and after reading seq
    public Optional<Checkpoint> position() {
        while (true) {
            Session s = session;
            long q = seq;
            if (s == session) {
                return s == null || q < 0 ? Optional.empty() : Optional.of(new Checkpoint(id, s, q));
            }
        }
    }

    /** Stops the shard without a connection, e.g. when {@code /gateway/bot} rejected the token. */
    public void fail(String why) {
        onShardThread(() -> stop(ShardState.FAILED, why));
    }

    /**
     * Closes the connection with a resumable code, waits until the socket is closed (so the next owner's connection
     * never overlaps it), and stops. The returned position lets the next owner resume.
     */
    public CompletableFuture<Optional<Checkpoint>> handOver() {
        return CompletableFuture.supplyAsync(() -> {
            Optional<Checkpoint> out = Optional.ofNullable(session).filter(s -> seq >= 0)
                    .map(s -> new Checkpoint(id, s, seq));
            GatewayConnection c = connection;
            if (!state.isTerminal()) {
                stop(ShardState.STOPPED, "handed over");
            }
            if (c != null) {
                c.awaitClosed(CLOSE_WAIT);
            }
            return out;
        }, exec);
    }

    /** Releases the shard's thread; call after {@link #handOver}. */
    public void close() {
        try {
            exec.shutdown(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public ShardStatus status() {
        Heartbeater hb = heartbeater;
        return new ShardStatus(id, state, seq, hb == null ? -1 : hb.latencyMillis(), (long) metrics.identifies.count(),
                (long) metrics.resumes.count(), reason, ctx.leases().ownerOf(id).orElse(null),
                ctx.leases().holds(id), (long) metrics.events.count(), lastResumedAt);
    }

    /**
     * Sends a worker command (already validated) when a send slot is free within the configured wait.
     *
     * @param reply receives null when the command went out, else the reason it was refused
     */
    @SuppressWarnings("FutureReturnValueIgnored") // the timer only hands the send to the shard thread, which handles its failures
    public void submit(byte[] payload, Consumer<String> reply) {
        boolean queued = onShardThread(() -> {
            GatewayConnection c = connection;
            if (!state.isLive() || c == null || limiter == null) {
                refuse(reply, "shard " + id + " is not connected (state " + state + ")");
                return;
            }
            long now = ctx.ticker().getAsLong();
            Optional<Long> slot = limiter.reserve(now, ctx.settings().commandMaxWait());
            if (slot.isEmpty()) {
                refuse(reply, "send budget exhausted: shard " + id + " may send " + limiter.commandLimit()
                        + " commands per 60 s besides heartbeats; retry later");
                return;
            }
            long delay = slot.get() - now;
            if (delay <= 0) {
                sendCommand(c, payload, reply);
            } else {
                ctx.timers().schedule(() -> onShardThread(() -> sendCommand(c, payload, reply)), delay,
                        TimeUnit.NANOSECONDS);
            }
        });
        if (!queued) {
            refuse(reply, "shard " + id + " is shutting down");
        }
    }

    private void sendCommand(GatewayConnection c, byte[] payload, Consumer<String> reply) {
        if (c != connection || !state.isLive()) {
            refuse(reply, "shard " + id + " reconnected before the command could be sent");
            return;
        }
        if (!send(c, new String(payload, java.nio.charset.StandardCharsets.UTF_8))) {
            refuse(reply, "shard " + id + " connection closed before the command could be sent");
            return;
        }
        metrics.command("sent");
        reply.accept(null);
    }

    private void refuse(Consumer<String> reply, String why) {
        metrics.command("refused");
        reply.accept(why);
    }

    // ---- connection life ----

    private void connect() {
        if (state.isTerminal() || connection != null) {
            return; // a backoff timer of an earlier connection, overtaken by a newer one
        }
        if (!ctx.leases().holds(id)) {
            fence("lease no longer held");
            return;
        }
        if (!ctx.events().hasRoom()) {
            setState(ShardState.RECONNECTING, "publish buffer full; waiting for NATS to catch up");
            later(ROOM_POLL, this::connect);
            return;
        }
        boolean resume = session != null;
        if (!resume) {
            ctx.identifyQueue().reserve(id);
        }
        onResumeUrl = resume && !resumeUrlBroken;
        URI base = onResumeUrl ? session.resumeGatewayUrl() : ctx.gatewayUrl();
        URI uri = URI.create(base + "/?v=" + GatewayLimits.API_VERSION + "&encoding=json"
                + ctx.compression().queryParameter());
        TransportDecompressor decompressor = ctx.compression().newDecompressor(ctx.settings().maxFrameBytes());
        GatewayConnection c = new GatewayConnection(uri, "shard-" + id, listener,
                new FrameDecoder(decompressor, ctx.settings().maxFrameBytes()), ctx.settings().maxFrameBytes(), ctx.io());
        connection = c;
        setState(ShardState.CONNECTING, null);
        c.connect();
        later(HELLO_TIMEOUT, () -> {
            if (c == connection && (state == ShardState.CONNECTING || state == ShardState.AWAITING_HELLO)) {
                resumeUrlFailed("no Hello within " + HELLO_TIMEOUT.toSeconds() + " s");
                reconnect(true, "timeout", "no Hello within " + HELLO_TIMEOUT.toSeconds() + " s");
            }
        });
    }

    /** Leaves the current connection (closing it resumably) and connects again after a backoff. */
    private void reconnect(boolean keepSession, String kind, String why) {
        detach(CloseCode.RESUMABLE_CLIENT_CLOSE);
        if (!keepSession) {
            session = null;
            seq = GatewayFrame.NO_SEQ;
        }
        metrics.reconnect(kind);
        setState(ShardState.RECONNECTING, why);
        later(reconnects.nextDelay(), this::connect);
    }

    private void stop(ShardState terminal, String why) {
        detach(CloseCode.RESUMABLE_CLIENT_CLOSE);
        setState(terminal, why);
    }

    private void detach(int closeCode) {
        if (session == null) {
            ctx.identifyQueue().cancel(id);
        }
        Heartbeater hb = heartbeater;
        if (hb != null) {
            hb.stop();
        }
        GatewayConnection c = connection;
        connection = null;
        limiter = null;
        if (c != null) {
            c.decoder().close();
            c.close(closeCode, "shardgate");
        }
    }

    /**
     * Hands work to the shard's thread. Every other thread (socket callbacks, timers, the identify queue, leases,
     * commands) comes in here; after {@link #close} nothing listens any more, so late work is dropped.
     *
     * @return false when the shard is closed and the task was dropped
     */
    private boolean onShardThread(Runnable task) {
        try {
            exec.execute(task);
            return true;
        } catch (RejectedExecutionException closed) {
            return false;
        }
    }

    @SuppressWarnings("FutureReturnValueIgnored") // the timer only hands the task to the shard thread, which handles its failures
    private void later(Duration delay, Runnable task) {
        ctx.timers().schedule(() -> onShardThread(task), delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    private boolean send(GatewayConnection c, String payload) {
        try {
            c.send(payload);
            return true;
        } catch (RuntimeException e) {
            // The engine throws when the connection is no longer open; the close callback handles the rest.
            return false;
        }
    }

    /**
     * The one place the state changes: every transition is logged and counted. Staying in a state for the same
     * reason is not a transition (a shard polling for room in the publish buffer logs once per wait, not per poll).
     */
    private void setState(ShardState next, String why) {
        ShardState previous = state;
        if (previous == next && (why == null || why.equals(reason))) {
            return;
        }
        state = next;
        if (why != null) {
            reason = why;
        }
        metrics.transition(next);
        System.Logger.Level level = next == ShardState.FAILED ? System.Logger.Level.ERROR
                : next == ShardState.RECONNECTING ? System.Logger.Level.WARNING : System.Logger.Level.INFO;
        LOG.log(level, "shard {0}: {1} -> {2}{3}", id, previous, next, why == null ? "" : " (" + why + ")");
    }

    // ---- inbound ----

    /** A message decoded on {@code gateway-io} (ACKs never get here: they are handled there). */
    private void onDecoded(GatewayConnection c, FrameDecoder.Decoded decoded, long decodedAt) {
        metrics.dequeued(ctx.ticker().getAsLong() - decodedAt);
        if (c != connection) {
            return;
        }
        switch (decoded) {
            case FrameDecoder.Broken broken -> {
                LOG.log(System.Logger.Level.WARNING, "shard {0}: {1}; dropping the connection to resume on a fresh "
                        + "one", id, broken.why());
                reconnect(true, broken.kind(), broken.why());
            }
            case FrameDecoder.Malformed m -> {
                metrics.malformed();
                LOG.log(System.Logger.Level.WARNING, "shard {0}: skipped a malformed payload of {1} bytes: {2}", id,
                        m.length(), m.why());
            }
            case FrameDecoder.Frame f -> {
                try {
                    onFrame(c, f.frame());
                } catch (IOException | RuntimeException e) {
                    metrics.malformed();
                    LOG.log(System.Logger.Level.WARNING, "shard {0}: skipped an unreadable op {1} payload: {2}", id,
                            f.frame().op(), e.toString());
                }
            }
        }
    }

    private void onFrame(GatewayConnection c, GatewayFrame frame) throws IOException {
        Optional<Opcode> op = Opcode.of(frame.op());
        if (op.isEmpty()) {
            LOG.log(System.Logger.Level.DEBUG, "shard {0}: ignoring unknown opcode {1}", id, frame.op());
            return;
        }
        switch (op.get()) {
            case DISPATCH -> onDispatch(frame);
            case HELLO -> onHello(c, frame);
            case HEARTBEAT -> {
                Heartbeater hb = heartbeater;
                if (hb != null && state != ShardState.AWAITING_HELLO) {
                    hb.beatNow();
                }
            }
            case HEARTBEAT_ACK -> {
                // Handled on gateway-io (ConnectionEvents.message); never queued here.
            }
            case RECONNECT -> reconnect(true, "op7", "Discord asked to reconnect (op 7)");
            case INVALID_SESSION -> onInvalidSession(frame);
            default -> LOG.log(System.Logger.Level.DEBUG, "shard {0}: ignoring op {1} from the gateway", id,
                    frame.op());
        }
    }

    private void onHello(GatewayConnection c, GatewayFrame frame) throws IOException {
        if (state != ShardState.AWAITING_HELLO && state != ShardState.CONNECTING) {
            LOG.log(System.Logger.Level.WARNING, "shard {0}: ignoring a second Hello", id);
            return;
        }
        long intervalMs = Payload.field(frame, "heartbeat_interval").map(Long::parseLong).orElse(-1L);
        if (intervalMs <= 0) {
            reconnect(true, "bad_hello", "Hello without a valid heartbeat_interval");
            return;
        }
        Duration interval = Duration.ofMillis(intervalMs);
        limiter = new SendLimiter(interval);
        Heartbeater hb = new Heartbeater(interval, ctx.ticker(), () -> seq, payload -> send(c, payload),
                () -> onShardThread(() -> {
                    if (c == connection) {
                        reconnect(true, "zombie", "no heartbeat ACK within " + intervalMs + " ms (zombie connection)");
                    }
                }), metrics::heartbeatLatency);
        heartbeater = hb;
        c.heartbeater(hb);
        hb.start(ctx.heartbeats(), ctx.random().nextDouble());
        Session s = session;
        if (s != null) {
            metrics.resumes.increment();
            send(c, Payloads.resume(ctx.token().reveal(), s.sessionId(), seq));
            setState(ShardState.RESUMING, null);
            expectSessionWithin(c);
            return;
        }
        Optional<Instant> coolDown = stormBreaker.coolDownUntil(ctx.clock().instant());
        if (coolDown.isPresent()) {
            detach(CloseCode.RESUMABLE_CLIENT_CLOSE);
            metrics.reconnect("storm_breaker");
            setState(ShardState.RECONNECTING, stormBreaker.reason(coolDown.get()));
            later(Duration.between(ctx.clock().instant(), coolDown.get()), this::connect);
            return;
        }
        setState(ShardState.QUEUED, null);
        ctx.identifyQueue().request(id, granted -> onShardThread(() -> identify(c)));
    }

    private void identify(GatewayConnection c) {
        if (c != connection || state != ShardState.QUEUED) {
            return;
        }
        metrics.identifies.increment();
        stormBreaker.identified(ctx.clock().instant());
        send(c, Payloads.identify(ctx.token().reveal(), id, ctx.shardCount(), ctx.intents(), null));
        ctx.identifyQueue().sent(id);
        setState(ShardState.IDENTIFYING, null);
        expectSessionWithin(c);
    }

    private void expectSessionWithin(GatewayConnection c) {
        later(READY_TIMEOUT, () -> {
            if (c == connection && (state == ShardState.IDENTIFYING || state == ShardState.RESUMING)) {
                reconnect(true, "timeout", "no READY or RESUMED within " + READY_TIMEOUT.toSeconds() + " s");
            }
        });
    }

    private void onInvalidSession(GatewayFrame frame) {
        if (frame.dataAsString().strip().equals("true")) {
            reconnect(true, "invalid_session", "invalid session (op 9, resumable)");
            return;
        }
        detach(CloseCode.RESUMABLE_CLIENT_CLOSE);
        session = null;
        seq = GatewayFrame.NO_SEQ;
        metrics.reconnect("invalid_session");
        setState(ShardState.RECONNECTING, "invalid session (op 9): identifying a new session after 1-5 s");
        later(Duration.ofMillis(1000 + ctx.random().nextLong(4001)), this::connect);
    }

    private void onDispatch(GatewayFrame frame) throws IOException {
        String type = frame.type();
        if (type == null || !frame.hasSeq()) {
            metrics.malformed();
            LOG.log(System.Logger.Level.WARNING, "shard {0}: skipped a dispatch without t or s", id);
            return;
        }
        if (type.equals("READY")) {
            Map<String, String> f = Payload.fields(frame, Set.of("session_id", "resume_gateway_url"));
            String sid = f.get("session_id");
            String url = f.get("resume_gateway_url");
            if (sid == null || url == null) {
                reconnect(false, "bad_ready", "READY without session_id or resume_gateway_url");
                return;
            }
            seq = GatewayFrame.NO_SEQ; // before the session: position() must never pair it with the old seq
            resumeUrlBroken = false;
            session = new Session(sid, URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url));
        }
        if (!ctx.leases().holds(id)) {
            // Checked per event: a process that paused past its lease must not publish what it reads on waking.
            fence("lease expired before this event could be published");
            return;
        }
        Session s = session;
        if (!ctx.events().offer(id, s == null ? "none" : s.sessionId(), frame.seq(), type, frame.data())) {
            // Nothing is lost: seq stays at the last accepted dispatch, so the resume replays this one.
            reconnect(true, "backpressure", "publish buffer full; resuming once it drains");
            return;
        }
        metrics.events.increment();
        watchdog.dispatched(ctx.ticker().getAsLong());
        if (frame.seq() > seq) {
            seq = frame.seq();
        }
        switch (type) {
            case "READY" -> sessionLive(ShardState.READY);
            case "RESUMED" -> sessionLive(ShardState.RESUMED);
            case "GUILD_MEMBERS_CHUNK" -> Payload.field(frame, "nonce")
                    .ifPresent(nonce -> ctx.events().publishChunk(id, frame.seq(), nonce, frame.data()));
            default -> {
            }
        }
    }

    /** Checks now and then that a live connection still carries dispatches (see {@link SilenceWatchdog}). */
    private void watchSilence(GatewayConnection c) {
        later(watchdog.checkEvery(), () -> {
            if (c != connection || !state.isLive()) {
                return;
            }
            Optional<String> silent = watchdog.silentFor(ctx.ticker().getAsLong());
            if (silent.isPresent()) {
                reconnect(true, "silent", silent.get());
            } else {
                watchSilence(c);
            }
        });
    }

    /** The connection that just failed went to the resume URL: resume through the main gateway URL from now on. */
    private void resumeUrlFailed(String why) {
        if (!onResumeUrl || session == null) {
            return;
        }
        onResumeUrl = false;
        resumeUrlBroken = true;
        metrics.resumeUrlFallback();
        LOG.log(System.Logger.Level.WARNING, "shard {0}: resume_gateway_url {1} failed: {2}; resuming through the main "
                + "gateway URL", id, session.resumeGatewayUrl(), why);
    }

    private void sessionLive(ShardState live) {
        if (live == ShardState.RESUMED) {
            lastResumedAt = ctx.clock().instant();
        }
        reconnects.reset();
        watchdog.reset(ctx.ticker().getAsLong());
        watchSilence(connection);
        setState(live, null);
    }

    private void onClosed(GatewayConnection c, int code, String why) {
        if (c != connection) {
            return;
        }
        String described = "Discord closed the connection with " + CloseCode.describe(code)
                + (why == null || why.isBlank() ? "" : ": " + why);
        CloseAction action = CloseCode.actionFor(code);
        if (code == CloseCode.RATE_LIMITED.code() || code == CloseCode.DECODE_ERROR.code()
                || code == CloseCode.UNKNOWN_OPCODE.code()) {
            LOG.log(System.Logger.Level.ERROR, "shard {0}: {1}; this is a bug in what the proxy sent", id, described);
        }
        switch (action) {
            case STOP -> stop(ShardState.FAILED, described + hint(code));
            case IDENTIFY -> reconnect(false, "closed", described);
            case RESUME -> {
                if (state == ShardState.CONNECTING) {
                    resumeUrlFailed("the handshake failed (" + CloseCode.describe(code) + ")");
                }
                reconnect(true, "closed", described);
            }
        }
    }

    private static String hint(int code) {
        return switch (code) {
            case 4004 -> " (the token is wrong or was reset: set a valid DISCORD_TOKEN)";
            case 4010 -> " (SHARD_COUNT/SHARD_IDS do not match what Discord expects)";
            case 4011 -> " (too many guilds per shard: raise SHARD_COUNT)";
            case 4013 -> " (GATEWAY_INTENTS is not a valid bitmask)";
            case 4014 -> " (a privileged intent in GATEWAY_INTENTS is not enabled in the Developer Portal)";
            default -> "";
        };
    }

    /** Hands every library callback to the shard's executor; a received frame may run on {@code gateway-io}. */
    private final class ConnectionEvents implements GatewayConnection.Listener {
        @Override
        public void opened(GatewayConnection c) {
            onShardThread(() -> {
                if (c == connection && state == ShardState.CONNECTING) {
                    setState(ShardState.AWAITING_HELLO, null);
                }
            });
        }

        @Override
        public void message(GatewayConnection c, ByteBuffer bytes, boolean binary) {
            long arrived = ctx.ticker().getAsLong();
            FrameDecoder.Decoded decoded = c.decoder().decode(bytes, binary);
            if (decoded == null) {
                return;
            }
            if (decoded instanceof FrameDecoder.Frame f && f.frame().op() == Opcode.HEARTBEAT_ACK.code()) {
                Heartbeater hb = c.heartbeater();
                if (hb != null) {
                    hb.acknowledge();
                }
                return;
            }
            long decodedAt = ctx.ticker().getAsLong();
            metrics.decoded(decodedAt - arrived);
            int size = decoded instanceof FrameDecoder.Frame f ? f.frame().buffer().length : 0;
            c.backlogAdded(size);
            try {
                exec.runOrExecute(() -> {
                    c.backlogTaken(size);
                    onDecoded(c, decoded, decodedAt);
                });
            } catch (RejectedExecutionException closed) {
                // the shard is closed: nobody takes its frames any more
            }
        }

        @Override
        public void closed(GatewayConnection c, int code, String why, boolean remote) {
            onShardThread(() -> onClosed(c, code, why));
        }

        @Override
        public void error(GatewayConnection c, Exception error) {
            LOG.log(System.Logger.Level.DEBUG, "shard {0}: connection error: {1}", id, error.toString());
        }
    }

}
