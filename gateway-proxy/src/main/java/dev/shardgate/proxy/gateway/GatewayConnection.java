package dev.shardgate.proxy.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketAdapter;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.handshake.HandshakeImpl1Client;
import org.java_websocket.handshake.Handshakedata;

/**
 * One WebSocket connection of a shard: Java-WebSocket's protocol engine ({@link WebSocketImpl}, RFC 6455 framing,
 * handshake, close handshake) over a socket this class drives itself, so that a connection costs no platform
 * thread. Java-WebSocket's own {@code WebSocketClient} starts a reader and a writer platform thread per connection
 * (about 3,000 threads for 1,000 shards); here a parked virtual thread reads, and writes are drained by a short-lived
 * virtual thread when the engine queues a frame. Connections are single-use: a shard opens a new one for every
 * (re)connect.
 *
 * <p>Threads: the read loop runs on its own virtual thread ({@code <name>-read}); it decodes frames and calls the
 * {@link Listener}, which decodes the payload and queues it on the shard's thread, deciding nothing. Sends come from
 * the shard's thread and the heartbeat scheduler and never block them: the engine queues the frame and a virtual
 * thread ({@code <name>-write}), at most one at a time, writes the queue out; a heartbeat is written by the
 * heartbeat scheduler itself when no write is under way. There is no connection-lost timer:
 * Discord's heartbeats are the liveness check.
 */
final class GatewayConnection {
    interface Listener {
        void opened(GatewayConnection connection);

        void message(GatewayConnection connection, ByteBuffer bytes, boolean binary);

        void closed(GatewayConnection connection, int code, String reason, boolean remote);

        void error(GatewayConnection connection, Exception error);
    }

    /**
     * Bytes read from the socket per call. Most compressed dispatches are a few hundred bytes; a larger frame takes
     * several reads (about 2 µs each), which the engine joins. Held for the connection's life, so it is small:
     * 2 MB for 1,000 shards.
     */
    static final int READ_BUFFER_BYTES = 2 * 1024;
    /**
     * Decoded frames waiting for the shard's thread, in bytes: past this the read thread waits, so TCP pushes back on
     * Discord instead of the heap growing. The shard's thread normally keeps up (microseconds per event), so this is
     * reached only when it is starved; then ACKs wait too, which is the truth about such a connection.
     */
    static final int MAX_BACKLOG_BYTES = 8 << 20;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** How long a closing connection waits for the peer to close the socket before closing it itself. */
    private static final Duration CLOSE_GRACE = Duration.ofSeconds(1);

    private final URI uri;
    private final String name;
    private final Listener listener;
    private final FrameDecoder decoder;
    private final WebSocketImpl engine;
    private final AtomicBoolean writing = new AtomicBoolean();
    private final AtomicBoolean closeScheduled = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Semaphore backlog = new Semaphore(MAX_BACKLOG_BYTES);
    private volatile Socket socket;
    private volatile OutputStream out;
    private volatile Heartbeater heartbeater;

    /**
     * @param name names this connection's threads, e.g. {@code shard-7}
     * @param maxFrameBytes the largest websocket frame accepted; a larger one closes the connection with 1009
     */
    GatewayConnection(URI uri, String name, Listener listener, FrameDecoder decoder, int maxFrameBytes) {
        this.uri = uri;
        this.name = name;
        this.listener = listener;
        this.decoder = decoder;
        this.engine = new WebSocketImpl(new EngineEvents(), new Draft_6455(List.of(), maxFrameBytes));
    }

    /** Decodes this connection's messages on its read thread. */
    FrameDecoder decoder() {
        return decoder;
    }

    /** The heartbeater of this connection, once Hello arrived: the read thread hands it ACKs directly. */
    Heartbeater heartbeater() {
        return heartbeater;
    }

    void heartbeater(Heartbeater hb) {
        heartbeater = hb;
    }

    /**
     * Called on the read thread before a decoded frame of {@code bytes} is queued for the shard's thread: waits while
     * {@link #MAX_BACKLOG_BYTES} are queued already (a larger frame counts as that much), until the connection or its
     * socket closes.
     */
    void awaitBacklogRoom(int bytes) {
        int permits = Math.min(bytes, MAX_BACKLOG_BYTES);
        try {
            while (closed.getCount() > 0 && !socketClosed()
                    && !backlog.tryAcquire(permits, 100, TimeUnit.MILLISECONDS)) {
                // the shard's thread is behind; poll so that a close (even one the shard's thread never hears of,
                // after it stopped) ends the wait and the read loop sees the closed socket
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The shard's thread took a frame of {@code bytes} that {@link #awaitBacklogRoom} let in. */
    void backlogTaken(int bytes) {
        backlog.release(Math.min(bytes, MAX_BACKLOG_BYTES));
    }

    /** Starts connecting on the connection's read thread; the outcome arrives through the {@link Listener}. */
    void connect() {
        Thread.ofVirtual().name(name + "-read").start(this::run);
    }

    /**
     * Queues a text frame; never blocks.
     *
     * @throws org.java_websocket.exceptions.WebsocketNotConnectedException when the connection is not open
     */
    void send(String text) {
        engine.send(text);
    }

    /** Starts the close handshake with {@code code}; the socket is closed at the latest {@link #CLOSE_GRACE} later. */
    void close(int code, String reason) {
        engine.close(code, reason);
        closeSocketLater();
    }

    /** Waits until the socket is closed, at most {@code timeout}. */
    void awaitClosed(Duration timeout) {
        try {
            closed.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        InputStream in;
        try {
            in = open();
        } catch (IOException | InvalidHandshakeException | RuntimeException e) {
            listener.error(this, e);
            engine.closeConnection(CloseFrame.NEVER_CONNECTED, String.valueOf(e.getMessage()));
            closeSocket();
            return;
        }
        byte[] buffer = new byte[READ_BUFFER_BYTES];
        try {
            int n;
            while ((n = in.read(buffer)) != -1) {
                engine.decode(ByteBuffer.wrap(buffer, 0, n));
            }
            engine.eot();
        } catch (IOException e) {
            engine.eot();
        } catch (RuntimeException e) {
            listener.error(this, e);
            engine.closeConnection(CloseFrame.ABNORMAL_CLOSE, String.valueOf(e.getMessage()));
        } finally {
            closeSocket();
        }
    }

    /** Connects the socket (TLS for wss, with host name verification) and sends the opening handshake. */
    private InputStream open() throws IOException, InvalidHandshakeException {
        boolean tls = "wss".equalsIgnoreCase(uri.getScheme());
        int port = uri.getPort() != -1 ? uri.getPort() : tls ? 443 : 80;
        Socket s = new Socket();
        socket = s;
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(uri.getHost(), port), (int) CONNECT_TIMEOUT.toMillis());
        if (tls) {
            SSLSocket ssl = (SSLSocket) ((SSLSocketFactory) SSLSocketFactory.getDefault())
                    .createSocket(s, uri.getHost(), port, true);
            SSLParameters params = ssl.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            ssl.setSSLParameters(params);
            s = ssl;
            socket = s;
        }
        InputStream in = s.getInputStream();
        out = s.getOutputStream();
        if (closed.getCount() == 0 || engine.isClosing() || engine.isClosed()) {
            throw new IOException("closed while connecting");
        }
        HandshakeImpl1Client handshake = new HandshakeImpl1Client();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        handshake.setResourceDescriptor(uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery());
        boolean defaultPort = uri.getPort() == -1 || uri.getPort() == (tls ? 443 : 80);
        handshake.put("Host", defaultPort ? uri.getHost() : uri.getHost() + ":" + port);
        engine.startHandshake(handshake);
        return in;
    }

    /** Writes out what the engine queued; at most one writer runs, and a demand during its run is not lost. */
    private void drain() {
        do {
            OutputStream o = out;
            try {
                ByteBuffer frame;
                while (o != null && (frame = engine.outQueue.poll()) != null) {
                    o.write(frame.array(), frame.arrayOffset() + frame.position(), frame.remaining());
                }
                if (o != null) {
                    o.flush();
                }
            } catch (IOException e) {
                engine.outQueue.clear();
                closeSocket(); // the read loop sees the closed socket and reports the close
            }
            writing.set(false);
        } while (out != null && !engine.outQueue.isEmpty() && writing.compareAndSet(false, true));
    }

    private void closeSocketLater() {
        if (closeScheduled.compareAndSet(false, true)) {
            Thread.ofVirtual().name(name + "-close").start(() -> {
                awaitClosed(CLOSE_GRACE);
                closeSocket();
            });
        }
    }

    private boolean socketClosed() {
        Socket s = socket;
        return s != null && s.isClosed();
    }

    private void closeSocket() {
        Socket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway; the read loop reports the end
            }
        }
    }

    /** The engine's callbacks; they run on whichever thread drove the engine (mostly the read thread). */
    private final class EngineEvents extends WebSocketAdapter {
        @Override
        public void onWebsocketOpen(WebSocket conn, Handshakedata handshake) {
            listener.opened(GatewayConnection.this);
        }

        @Override
        public void onWebsocketMessage(WebSocket conn, String message) {
            listener.message(GatewayConnection.this, ByteBuffer.wrap(message.getBytes(StandardCharsets.UTF_8)), false);
        }

        @Override
        public void onWebsocketMessage(WebSocket conn, ByteBuffer bytes) {
            listener.message(GatewayConnection.this, bytes, true);
        }

        @Override
        public void onWebsocketClosing(WebSocket ws, int code, String reason, boolean remote) {
            closeSocketLater();
        }

        @Override
        public void onWebsocketCloseInitiated(WebSocket ws, int code, String reason) {
        }

        @Override
        public void onWebsocketClose(WebSocket ws, int code, String reason, boolean remote) {
            closeSocket();
            closed.countDown();
            decoder.close();
            listener.closed(GatewayConnection.this, code, reason, remote);
        }

        @Override
        public void onWebsocketError(WebSocket conn, Exception error) {
            listener.error(GatewayConnection.this, error);
        }

        @Override
        public void onWriteDemand(WebSocket conn) {
            if (!writing.compareAndSet(false, true)) {
                return;
            }
            if (Thread.currentThread().isVirtual()) {
                Thread.ofVirtual().name(name + "-write").start(GatewayConnection.this::drain);
            } else {
                // The heartbeat scheduler, the only platform thread that sends: its beat (a few dozen bytes into a
                // socket buffer that holds megabytes) is written at once instead of waiting for a carrier thread
                // that a backlog of frames keeps busy, e.g. right after a GC pause.
                drain();
            }
        }

        @Override
        public InetSocketAddress getLocalSocketAddress(WebSocket conn) {
            Socket s = socket;
            return s == null ? null : (InetSocketAddress) s.getLocalSocketAddress();
        }

        @Override
        public InetSocketAddress getRemoteSocketAddress(WebSocket conn) {
            Socket s = socket;
            return s == null ? null : (InetSocketAddress) s.getRemoteSocketAddress();
        }
    }
}
