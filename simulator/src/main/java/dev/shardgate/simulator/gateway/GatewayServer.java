package dev.shardgate.simulator.gateway;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.java_websocket.WebSocket;
import org.java_websocket.drafts.Draft;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;
import org.java_websocket.server.WebSocketServer;

/**
 * One listening gateway URL. Java-WebSocket runs a selector thread and decoder threads; these callbacks only
 * stamp each payload with the time it was read, hand each event over to the gateway loop (in arrival order per
 * connection) and decide nothing about the protocol themselves.
 *
 * <p>The one thing decided here is an injected {@link ResumeFault}, because it must act before the gateway sees a
 * connection at all: {@link #fault(ResumeFault)} may be set from any thread and applies to connections whose
 * handshake starts afterwards. A connection it swallows ({@link ResumeFault#NO_HELLO}) is never handed over, so
 * the engine ignores whatever it sends and never answers.
 */
final class GatewayServer extends WebSocketServer {
    private static final System.Logger LOG = System.getLogger(GatewayServer.class.getName());

    private final Endpoint endpoint;
    private final GatewayEngine engine;
    private final Executor loop;
    private final Clock clock;
    private final CompletableFuture<Integer> started = new CompletableFuture<>();
    private final AtomicLong faultedConnections = new AtomicLong();
    private volatile ResumeFault fault = ResumeFault.NONE;

    GatewayServer(InetSocketAddress address, Endpoint endpoint, GatewayEngine engine, Executor loop, Clock clock) {
        super(address, 1);
        this.endpoint = endpoint;
        this.engine = engine;
        this.loop = loop;
        this.clock = clock;
        setReuseAddr(true);
        // Each dispatch leaves as soon as it is written, as from Discord: with Nagle's algorithm a small frame waits
        // for the previous one's ACK, which the client's delayed ACK holds up to 40 ms.
        setTcpNoDelay(true);
        // Discord's liveness check is the op 1/op 11 heartbeat, not websocket pings: the engine enforces it.
        setConnectionLostTimeout(0);
        setDaemon(true);
    }

    /** Completes with the bound port once the server listens, or exceptionally if it cannot bind. */
    CompletableFuture<Integer> started() {
        return started;
    }

    /** Breaks (or, with NONE, repairs) this URL for connections that start their handshake from now on. */
    void fault(ResumeFault next) {
        fault = next;
        LOG.log(Level.INFO, "gateway {0}: fault {1}", endpoint, next);
    }

    ResumeFault fault() {
        return fault;
    }

    /** Connections whose handshake was refused or that were swallowed by a fault. */
    long faultedConnections() {
        return faultedConnections.get();
    }

    @Override
    public void onStart() {
        started.complete(getPort());
        LOG.log(Level.INFO, "gateway {0} listening on {1}", endpoint, Integer.toString(getPort()));
    }

    @Override
    public ServerHandshakeBuilder onWebsocketHandshakeReceivedAsServer(WebSocket conn, Draft draft,
                                                                       ClientHandshake request)
            throws InvalidDataException {
        if (fault == ResumeFault.HANDSHAKE_FAILS) {
            faultedConnections.incrementAndGet();
            // Java-WebSocket answers a rejected handshake with HTTP 404 and closes the TCP connection.
            throw new InvalidDataException(CloseFrame.REFUSE, "handshake refused by fault injection");
        }
        return super.onWebsocketHandshakeReceivedAsServer(conn, draft, request);
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
        if (fault == ResumeFault.NO_HELLO) {
            faultedConnections.incrementAndGet();
            LOG.log(Level.DEBUG, "gateway {0}: swallowing a connection (no Hello)", endpoint);
            return;
        }
        String descriptor = handshake.getResourceDescriptor();
        loop.execute(() -> engine.onOpen(conn, endpoint, descriptor));
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
        Instant receivedAt = clock.instant();
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        loop.execute(() -> engine.onMessage(conn, bytes, receivedAt));
    }

    @Override
    public void onMessage(WebSocket conn, ByteBuffer message) {
        Instant receivedAt = clock.instant();
        byte[] bytes = new byte[message.remaining()];
        message.get(bytes);
        loop.execute(() -> engine.onMessage(conn, bytes, receivedAt));
    }

    /**
     * A close frame arrived. Its code is what the client meant: the TCP connection may drop before the close
     * handshake ends, and then {@link #onClose} sees 1006 instead.
     */
    @Override
    public void onClosing(WebSocket conn, int code, String reason, boolean remote) {
        if (remote) {
            loop.execute(() -> engine.onCloseFrame(conn, code));
        }
    }

    @Override
    public void onClose(WebSocket conn, int code, String reason, boolean remote) {
        loop.execute(() -> engine.onClose(conn, code, remote));
    }

    @Override
    public void onError(WebSocket conn, Exception ex) {
        if (conn == null) {
            started.completeExceptionally(ex);
            LOG.log(Level.ERROR, "gateway " + endpoint + " server failed", ex);
        } else {
            LOG.log(Level.DEBUG, "gateway connection error: {0}", ex.toString());
        }
    }
}
