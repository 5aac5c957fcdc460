package dev.shardgate.simulator.gateway;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.lang.System.Logger.Level;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.java_websocket.WebSocket;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.server.WebSocketServer;

/**
 * One listening gateway URL. Java-WebSocket runs a selector thread and decoder threads; these callbacks only hand
 * each event over to the gateway loop (in arrival order per connection) and decide nothing themselves.
 */
final class GatewayServer extends WebSocketServer {
    private static final System.Logger LOG = System.getLogger(GatewayServer.class.getName());

    private final Endpoint endpoint;
    private final GatewayEngine engine;
    private final Executor loop;
    private final CompletableFuture<Integer> started = new CompletableFuture<>();

    GatewayServer(InetSocketAddress address, Endpoint endpoint, GatewayEngine engine, Executor loop) {
        super(address, 1);
        this.endpoint = endpoint;
        this.engine = engine;
        this.loop = loop;
        setReuseAddr(true);
        // Discord's liveness check is the op 1/op 11 heartbeat, not websocket pings: the engine enforces it.
        setConnectionLostTimeout(0);
        setDaemon(true);
    }

    /** Completes with the bound port once the server listens, or exceptionally if it cannot bind. */
    CompletableFuture<Integer> started() {
        return started;
    }

    @Override
    public void onStart() {
        started.complete(getPort());
        LOG.log(Level.INFO, "gateway {0} listening on {1}", endpoint, Integer.toString(getPort()));
    }

    @Override
    public void onOpen(WebSocket conn, ClientHandshake handshake) {
        String descriptor = handshake.getResourceDescriptor();
        loop.execute(() -> engine.onOpen(conn, endpoint, descriptor));
    }

    @Override
    public void onMessage(WebSocket conn, String message) {
        byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
        loop.execute(() -> engine.onMessage(conn, bytes));
    }

    @Override
    public void onMessage(WebSocket conn, ByteBuffer message) {
        byte[] bytes = new byte[message.remaining()];
        message.get(bytes);
        loop.execute(() -> engine.onMessage(conn, bytes));
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
