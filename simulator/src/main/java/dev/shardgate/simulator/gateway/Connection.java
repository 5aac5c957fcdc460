package dev.shardgate.simulator.gateway;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.lang.System.Logger.Level;
import org.java_websocket.WebSocket;
import org.java_websocket.exceptions.WebsocketNotConnectedException;

/**
 * One client websocket as the simulator serves it: its transport compression, its state, its send limit, its
 * heartbeat deadline and the faults injected into it. Owned by the gateway loop thread; Java-WebSocket's
 * {@code send} only queues bytes for the server's selector thread.
 */
final class Connection {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());

    private final long id;
    private final WebSocket socket;
    private final Endpoint endpoint;
    /** The connection's transport compression, or null for plain text. */
    private final TransportEncoder compression;
    private final SendRateLimiter sendLimit;
    private final GatewayRecorder recorder;
    private ConnectionState state = ConnectionState.AWAITING_AUTH;
    private Session session;
    /** The shard this connection claimed with a valid Identify or Resume, or -1 (see {@link ShardConnections}). */
    private int attributedShard = -1;
    private Instant heartbeatDeadline;
    private Instant reconnectDeadline;
    private boolean zombie;
    private boolean stalled;
    private boolean muted;
    /** The code of the close frame the client sent, or 0. */
    private int clientCloseCode;

    Connection(long id, WebSocket socket, Endpoint endpoint, TransportEncoder compression, SendRateLimiter sendLimit,
               GatewayRecorder recorder) {
        this.id = id;
        this.socket = socket;
        this.endpoint = endpoint;
        this.compression = compression;
        this.sendLimit = sendLimit;
        this.recorder = recorder;
        recorder.transition("connection", "NEW", ConnectionState.AWAITING_AUTH);
    }

    long id() {
        return id;
    }

    Endpoint endpoint() {
        return endpoint;
    }

    ConnectionState state() {
        return state;
    }

    Session session() {
        return session;
    }

    /** The shard of the attached session, or -1. */
    int shardId() {
        return session == null ? -1 : session.shardId();
    }

    int attributedShard() {
        return attributedShard;
    }

    void attributedShard(int shardId) {
        attributedShard = shardId;
    }

    boolean compressed() {
        return compression != null;
    }

    SendRateLimiter sendLimit() {
        return sendLimit;
    }

    Instant heartbeatDeadline() {
        return heartbeatDeadline;
    }

    void heartbeatDeadline(Instant deadline) {
        heartbeatDeadline = deadline;
    }

    Instant reconnectDeadline() {
        return reconnectDeadline;
    }

    void reconnectDeadline(Instant deadline) {
        reconnectDeadline = deadline;
    }

    int clientCloseCode() {
        return clientCloseCode;
    }

    void clientCloseCode(int code) {
        clientCloseCode = code;
    }

    boolean zombie() {
        return zombie;
    }

    void zombie(boolean on) {
        zombie = on;
    }

    void stalled(boolean on) {
        stalled = on;
    }

    void muted(boolean on) {
        muted = on;
    }

    /** Sends a dispatch, unless muted (then only a resume on another connection replays it). */
    void sendDispatch(byte[] frame) {
        if (!muted) {
            send(frame);
        }
    }

    void authenticated(Session s) {
        session = s;
        transition(ConnectionState.AUTHENTICATED, "session " + s.id());
    }

    /** Back to awaiting Identify/Resume on the same socket (after op 9). */
    void unauthenticated(String why) {
        session = null;
        transition(ConnectionState.AWAITING_AUTH, why);
    }

    void closed(String why) {
        session = null;
        if (state != ConnectionState.CLOSED) {
            transition(ConnectionState.CLOSED, why);
            if (compression != null) {
                compression.close();
            }
        }
    }

    /** Sends one gateway payload (compressed if the connection asked for it), unless stalled or closed. */
    void send(byte[] payload) {
        if (stalled || state == ConnectionState.CLOSED) {
            return;
        }
        try {
            if (compression != null) {
                for (byte[] message : compression.encode(payload)) {
                    socket.send(message);
                }
            } else {
                socket.send(new String(payload, StandardCharsets.UTF_8));
            }
        } catch (WebsocketNotConnectedException e) {
            LOG.log(Level.DEBUG, "connection {0} went away while sending", Long.toString(id));
        }
    }

    /** Sends raw bytes as one binary websocket message, bypassing compression (to corrupt the compressed stream). */
    void sendRaw(byte[] message) {
        if (state != ConnectionState.CLOSED) {
            try {
                socket.send(message);
            } catch (WebsocketNotConnectedException e) {
                LOG.log(Level.DEBUG, "connection {0} went away while sending", Long.toString(id));
            }
        }
    }

    void close(int code, String reason) {
        socket.close(code, reason);
    }

    /** Closes the TCP connection without a close frame. */
    void drop() {
        socket.closeConnection(1006, "dropped by the simulator");
    }

    private void transition(ConnectionState next, String why) {
        ConnectionState prev = state;
        state = next;
        recorder.transition("connection", prev, next);
        LOG.log(Level.DEBUG, "connection {0} ({1}): {2} -> {3} ({4})", Long.toString(id), endpoint, prev, next,
                why);
    }
}
