package dev.shardgate.proxy.gateway;

import dev.shardgate.protocol.CloseAction;
import dev.shardgate.protocol.CloseCode;
import dev.shardgate.protocol.EnvelopeReader;
import dev.shardgate.protocol.GatewayFrame;
import dev.shardgate.protocol.GatewayLimits;
import dev.shardgate.protocol.MalformedFrameException;
import dev.shardgate.protocol.Opcode;
import dev.shardgate.protocol.Payloads;
import dev.shardgate.proxy.config.Compression;
import dev.shardgate.proxy.gateway.inflate.ZlibStreamInflater;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One Discord shard for the life of the process: a state machine ({@link ShardState}, changed only in
 * {@link #setState}) over a series of single-use {@link GatewayConnection}s, each with its own inflater,
 * heartbeater and send limiter. It identifies through the process's {@link IdentifyQueue}, resumes whenever the
 * session allows, and hands every dispatch to the {@link EventSink}.
 *
 * <p>Threads: all mutable state is confined to the shard's own serial executor ({@code shard-N}, a virtual
 * thread). WebSocket callbacks, identify grants, timers and commands only enqueue work on it. Heartbeats run on the
 * shared heartbeat scheduler and touch only the {@link Heartbeater}. Fields read by status snapshots are volatile.
 */
public final class Shard {
    private static final System.Logger LOG = System.getLogger(Shard.class.getName());
    private static final Duration HELLO_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration ROOM_POLL = Duration.ofMillis(250);

    private final int id;
    private final ShardContext ctx;
    private final ExecutorService exec;
    private final ShardMetrics metrics;
    private final ReconnectPolicy reconnects;
    private final StormBreaker stormBreaker;
    private final GatewayConnection.Listener listener = new ConnectionEvents();
    private final EnvelopeReader envelopes = new EnvelopeReader();

    private volatile ShardState state = ShardState.IDLE;
    private volatile long seq = GatewayFrame.NO_SEQ;
    private volatile Session session;
    private volatile String reason;
    private volatile Heartbeater heartbeater;
    private GatewayConnection connection;
    private ZlibStreamInflater inflater;
    private SendLimiter limiter;
    private int resumeConnectFailures;

    public Shard(int id, ShardContext ctx) {
        this.id = id;
        this.ctx = ctx;
        this.exec = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("shard-" + id).factory());
        this.metrics = new ShardMetrics(ctx.registry(), id, () -> state, () -> seq);
        this.reconnects = new ReconnectPolicy(ctx.random());
        this.stormBreaker = new StormBreaker(ctx.settings().stormMaxIdentifies(), ctx.settings().stormWindow());
    }

    public int id() {
        return id;
    }

    /** Starts connecting; with a handed-over session it resumes instead of identifying. */
    public void start(Optional<Session> handedOver, long handedOverSeq) {
        exec.execute(() -> {
            handedOver.ifPresent(s -> {
                session = s;
                seq = handedOverSeq;
                LOG.log(System.Logger.Level.INFO, "shard {0}: resuming handed-over session at seq {1}", id,
                        handedOverSeq);
            });
            connect();
        });
    }

    /** Stops the shard without a connection, e.g. when {@code /gateway/bot} rejected the token. */
    public void fail(String why) {
        exec.execute(() -> stop(ShardState.FAILED, why));
    }

    /**
     * Closes the connection with a resumable code and stops. The returned session and sequence let the next
     * process resume.
     */
    public CompletableFuture<Optional<HandedOverSession>> handOver() {
        return CompletableFuture.supplyAsync(() -> {
            Optional<HandedOverSession> out = Optional.ofNullable(session)
                    .map(s -> new HandedOverSession(id, s, seq));
            if (!state.isTerminal()) {
                stop(ShardState.STOPPED, "handed over");
            }
            return out;
        }, exec);
    }

    /** Releases the shard's thread; call after {@link #handOver}. */
    public void close() {
        exec.shutdown();
        try {
            exec.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public ShardStatus status() {
        Heartbeater hb = heartbeater;
        return new ShardStatus(id, state, seq, hb == null ? -1 : hb.latencyMillis(), (long) metrics.identifies.count(),
                (long) metrics.resumes.count(), reason);
    }

    /**
     * Sends a worker command (already validated) when a send slot is free within the configured wait.
     *
     * @param reply receives null when the command went out, else the reason it was refused
     */
    public void submit(byte[] payload, Consumer<String> reply) {
        exec.execute(() -> {
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
                ctx.timers().schedule(() -> exec.execute(() -> sendCommand(c, payload, reply)), delay,
                        TimeUnit.NANOSECONDS);
            }
        });
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
        metrics.commandsSent.increment();
        reply.accept(null);
    }

    private void refuse(Consumer<String> reply, String why) {
        metrics.commandsRefused.increment();
        reply.accept(why);
    }

    // ---- connection life ----

    private void connect() {
        if (state.isTerminal()) {
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
        URI base = resume && resumeConnectFailures < 2 ? session.resumeGatewayUrl() : ctx.gatewayUrl();
        URI uri = URI.create(base + "/?v=" + GatewayLimits.API_VERSION + "&encoding=json"
                + (ctx.compression() == Compression.ZLIB_STREAM ? "&compress=zlib-stream" : ""));
        GatewayConnection c = new GatewayConnection(uri, listener);
        connection = c;
        inflater = ctx.compression() == Compression.ZLIB_STREAM
                ? new ZlibStreamInflater(ctx.settings().maxFrameBytes()) : null;
        setState(ShardState.CONNECTING, null);
        c.connect();
        later(HELLO_TIMEOUT, () -> {
            if (c == connection && (state == ShardState.CONNECTING || state == ShardState.AWAITING_HELLO)) {
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
        if (inflater != null) {
            inflater.close();
            inflater = null;
        }
        if (c != null && !c.isClosed() && !c.isClosing()) {
            c.close(closeCode, "shardgate");
        }
    }

    private void later(Duration delay, Runnable task) {
        ctx.timers().schedule(() -> exec.execute(task), delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    private boolean send(GatewayConnection c, String payload) {
        try {
            c.send(payload);
            return true;
        } catch (RuntimeException e) {
            // Java-WebSocket throws when the socket closed under us; the close callback handles the rest.
            return false;
        }
    }

    /** The one place the state changes: every transition is logged and counted. */
    private void setState(ShardState next, String why) {
        ShardState previous = state;
        if (previous == next && why == null) {
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

    private void onMessage(GatewayConnection c, ByteBuffer bytes, boolean binary) {
        if (c != connection) {
            return;
        }
        byte[] buf;
        int len;
        if (inflater != null && binary) {
            try {
                len = inflater.accept(bytes);
            } catch (ZlibStreamInflater.CorruptStreamException e) {
                LOG.log(System.Logger.Level.WARNING, "shard {0}: {1}; dropping the connection to resume on a "
                        + "fresh one", id, e.getMessage());
                reconnect(true, "corrupt_stream", e.getMessage());
                return;
            }
            if (len < 0) {
                return;
            }
            buf = inflater.output();
        } else {
            len = bytes.remaining();
            if (len > ctx.settings().maxFrameBytes()) {
                reconnect(true, "oversized_frame", "payload of " + len + " bytes exceeds GATEWAY_MAX_FRAME_BYTES");
                return;
            }
            buf = new byte[len];
            bytes.get(buf);
        }
        GatewayFrame frame;
        try {
            frame = envelopes.read(buf, 0, len);
        } catch (MalformedFrameException e) {
            metrics.malformed.increment();
            LOG.log(System.Logger.Level.WARNING, "shard {0}: skipped a malformed payload of {1} bytes: {2}", id, len,
                    e.getMessage());
            return;
        }
        try {
            onFrame(c, frame);
        } catch (IOException | RuntimeException e) {
            metrics.malformed.increment();
            LOG.log(System.Logger.Level.WARNING, "shard {0}: skipped an unreadable op {1} payload: {2}", id,
                    frame.op(), e.toString());
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
                Heartbeater hb = heartbeater;
                if (hb != null) {
                    hb.acknowledge();
                }
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
                () -> exec.execute(() -> {
                    if (c == connection) {
                        reconnect(true, "zombie", "no heartbeat ACK within " + intervalMs + " ms (zombie connection)");
                    }
                }), metrics::heartbeatLatency);
        heartbeater = hb;
        hb.start(ctx.heartbeats(), ctx.random().nextDouble());
        Session s = session;
        if (s != null) {
            metrics.resumes.increment();
            send(c, Payloads.resume(ctx.token().reveal(), s.sessionId(), seq));
            setState(ShardState.RESUMING, null);
            expectSessionWithin(c);
            return;
        }
        Optional<String> storm = stormBreaker.tryIdentify(ctx.clock().instant());
        if (storm.isPresent()) {
            stop(ShardState.FAILED, storm.get());
            return;
        }
        setState(ShardState.QUEUED, null);
        ctx.identifyQueue().request(id, granted -> exec.execute(() -> identify(c)));
    }

    private void identify(GatewayConnection c) {
        if (c != connection || state != ShardState.QUEUED) {
            return;
        }
        metrics.identifies.increment();
        send(c, Payloads.identify(ctx.token().reveal(), id, ctx.shardCount(), ctx.intents(), null));
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
            metrics.malformed.increment();
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
            session = new Session(sid, URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url));
            seq = GatewayFrame.NO_SEQ;
        }
        Session s = session;
        if (!ctx.events().offer(id, s == null ? "none" : s.sessionId(), frame.seq(), type, frame.data())) {
            // Nothing is lost: seq stays at the last accepted dispatch, so the resume replays this one.
            reconnect(true, "backpressure", "publish buffer full; resuming once it drains");
            return;
        }
        metrics.events.increment();
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

    private void sessionLive(ShardState live) {
        reconnects.reset();
        resumeConnectFailures = 0;
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
                if (state == ShardState.CONNECTING && session != null) {
                    resumeConnectFailures++;
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

    /** Hands every library callback to the shard's thread. */
    private final class ConnectionEvents implements GatewayConnection.Listener {
        @Override
        public void opened(GatewayConnection c) {
            exec.execute(() -> {
                if (c == connection && state == ShardState.CONNECTING) {
                    setState(ShardState.AWAITING_HELLO, null);
                }
            });
        }

        @Override
        public void message(GatewayConnection c, ByteBuffer bytes, boolean binary) {
            exec.execute(() -> onMessage(c, bytes, binary));
        }

        @Override
        public void closed(GatewayConnection c, int code, String why, boolean remote) {
            exec.execute(() -> onClosed(c, code, why));
        }

        @Override
        public void error(GatewayConnection c, Exception error) {
            LOG.log(System.Logger.Level.DEBUG, "shard {0}: connection error: {1}", id, error.toString());
        }
    }

    /** A session handed over at shutdown. */
    public record HandedOverSession(int shard, Session session, long seq) {
    }
}
