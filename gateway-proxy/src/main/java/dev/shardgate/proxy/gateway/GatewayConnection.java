package dev.shardgate.proxy.gateway;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
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
 * handshake, close handshake) over a non-blocking {@link SocketChannel} served by the process's
 * {@link GatewaySelector}, so a connection costs no thread at all (Java-WebSocket's own {@code WebSocketClient}
 * starts a reader and a writer platform thread per connection). {@code wss://} runs over an {@link SSLEngine}
 * ({@link TlsSession}) with host name verification. Connections are single-use: a shard opens a new one for every
 * (re)connect.
 *
 * <p>Threads: owns none. Connecting, reading, TLS unwrapping, frame decoding and the {@link Listener} calls run on
 * {@code gateway-io}; the listener decodes the payload and runs the shard's work inline when the shard is idle, else
 * queues it, deciding nothing itself. Sends come from the shard's thread and the heartbeat scheduler and never block
 * them: the engine queues the frame and the sender writes it out itself, non-blocking, under {@link #writeLock}
 * (held only for the write, never while the engine's own lock is taken); what the socket cannot take now is left to
 * {@code gateway-io} with {@code OP_WRITE}. So a heartbeat never waits for {@code gateway-io}, however busy. There is
 * no connection-lost timer: Discord's heartbeats are the liveness check.
 */
final class GatewayConnection implements GatewaySelector.Handler {
    interface Listener {
        void opened(GatewayConnection connection);

        void message(GatewayConnection connection, ByteBuffer bytes, boolean binary);

        void closed(GatewayConnection connection, int code, String reason, boolean remote);

        void error(GatewayConnection connection, Exception error);
    }

    /**
     * Decoded frames waiting for the shard's thread, in bytes: past this the connection stops reading (its
     * {@code OP_READ} is dropped, no thread waits), so TCP pushes back on Discord instead of the heap growing; reading
     * resumes when the shard's thread has taken frames. The shard's thread normally keeps up (microseconds per event),
     * so this is reached only when it is starved; then ACKs wait too, which is the truth about such a connection.
     */
    static final int MAX_BACKLOG_BYTES = 8 << 20;
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** How long a closing connection waits for the peer to close the socket before closing it itself. */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(1);
    /** Reads of a full buffer per wake-up before the other ready connections get their turn. */
    private static final int READS_PER_WAKEUP = 4;

    private final URI uri;
    /** {@code wss://}: TLS over the socket. */
    private final boolean secure;
    private final int port;
    private final String name;
    private final Listener listener;
    private final FrameDecoder decoder;
    private final GatewaySelector io;
    private final WebSocketImpl engine;
    /** Guards the socket's output: {@link #pending}, the TLS session's outgoing buffer and {@code OP_WRITE}. */
    private final ReentrantLock writeLock = new ReentrantLock();
    private final AtomicBoolean closeScheduled = new AtomicBoolean();
    private final AtomicBoolean socketClosed = new AtomicBoolean();
    /** The engine reported the close to the listener (once; closing the socket then must not report it again). */
    private final AtomicBoolean reported = new AtomicBoolean();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final AtomicLong backlog = new AtomicLong();
    private final AtomicBoolean resumeQueued = new AtomicBoolean();
    private volatile SocketChannel channel;
    private volatile SelectionKey key;
    private volatile TlsSession tls;
    private volatile Heartbeater heartbeater;
    /** Set once the socket (and TLS) is up and the opening handshake was queued: app data may be written. */
    private volatile boolean established;
    /** Reads stopped because {@link #MAX_BACKLOG_BYTES} are queued; written on {@code gateway-io} only. */
    private volatile boolean readsPaused;
    /** A plain connection's frame that the socket took only part of; guarded by {@link #writeLock}. */
    private ByteBuffer pending;
    /** Connect finished ({@code gateway-io} only). */
    private boolean connected;

    /**
     * @param name names this connection in messages, e.g. {@code shard-7}
     * @param maxFrameBytes the largest websocket frame accepted; a larger one closes the connection with 1009
     */
    GatewayConnection(URI uri, String name, Listener listener, FrameDecoder decoder, int maxFrameBytes,
            GatewaySelector io) {
        this.uri = uri;
        this.secure = "wss".equalsIgnoreCase(uri.getScheme());
        this.port = uri.getPort() != -1 ? uri.getPort() : secure ? 443 : 80;
        this.name = name;
        this.listener = listener;
        this.decoder = decoder;
        this.io = io;
        this.engine = new WebSocketImpl(new EngineEvents(), new Draft_6455(List.of(), maxFrameBytes));
    }

    /** Decodes this connection's messages on {@code gateway-io}. */
    FrameDecoder decoder() {
        return decoder;
    }

    /** The heartbeater of this connection, once Hello arrived: {@code gateway-io} hands it ACKs directly. */
    Heartbeater heartbeater() {
        return heartbeater;
    }

    void heartbeater(Heartbeater hb) {
        heartbeater = hb;
    }

    /**
     * Called on {@code gateway-io} before a decoded frame of {@code bytes} is queued for the shard's thread (a frame
     * over {@link #MAX_BACKLOG_BYTES} counts as that much); once the backlog is full the connection stops reading.
     */
    void backlogAdded(int bytes) {
        backlog.addAndGet(Math.min(bytes, MAX_BACKLOG_BYTES));
    }

    /** The shard's thread took a frame of {@code bytes} that {@link #backlogAdded} counted. */
    void backlogTaken(int bytes) {
        long left = backlog.addAndGet(-Math.min(bytes, MAX_BACKLOG_BYTES));
        if (left < MAX_BACKLOG_BYTES && readsPaused && resumeQueued.compareAndSet(false, true)) {
            io.execute(this::resumeReads);
        }
    }

    /**
     * Starts connecting: the host is resolved on the calling thread (a virtual thread of the shard), the rest happens
     * on {@code gateway-io}; the outcome arrives through the {@link Listener}.
     */
    void connect() {
        if (io.inLoop()) {
            Thread.ofVirtual().name(name + "-connect").start(this::connect);
            return;
        }
        InetSocketAddress address = new InetSocketAddress(uri.getHost(), port);
        io.execute(() -> startConnect(address));
    }

    /**
     * Queues a text frame and writes it out if the socket takes it now; never blocks.
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

    // ---- gateway-io ----

    private void startConnect(InetSocketAddress address) {
        if (closed.getCount() == 0 || engine.isClosing() || engine.isClosed() || socketClosed.get()) {
            neverConnected(new IOException("closed while connecting"));
            return;
        }
        try {
            if (address.isUnresolved()) {
                throw new UnknownHostException(address.getHostString());
            }
            SocketChannel ch = SocketChannel.open();
            channel = ch;
            if (socketClosed.get()) { // closed from another thread before the channel was visible to it
                ch.close();
                return;
            }
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (secure) {
                SSLEngine ssl = io.tls().createSSLEngine(uri.getHost(), port); // the host name: SNI
                ssl.setUseClientMode(true);
                SSLParameters params = ssl.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(params);
                tls = new TlsSession(ssl);
            }
            boolean now = ch.connect(address);
            key = io.register(ch, now ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT, this);
            if (now) {
                connected();
            } else {
                io.schedule(CONNECT_TIMEOUT, () -> {
                    if (!connected && !socketClosed.get()) {
                        neverConnected(new SocketTimeoutException("connect to " + address + " timed out after "
                                + CONNECT_TIMEOUT.toSeconds() + " s"));
                    }
                });
            }
        } catch (IOException | RuntimeException e) {
            neverConnected(e);
        }
    }

    private void neverConnected(Exception e) {
        listener.error(this, e);
        engine.closeConnection(CloseFrame.NEVER_CONNECTED, String.valueOf(e.getMessage()));
        closeSocket();
    }

    @Override
    public void ready(SelectionKey k) throws IOException {
        int ops = k.readyOps();
        if ((ops & SelectionKey.OP_CONNECT) != 0) {
            try {
                if (!channel.finishConnect()) {
                    return;
                }
                k.interestOps(SelectionKey.OP_READ);
                connected();
            } catch (IOException e) {
                neverConnected(e);
            }
            return;
        }
        if ((ops & SelectionKey.OP_WRITE) != 0) {
            writable();
        }
        if ((ops & SelectionKey.OP_READ) != 0 && k.isValid()) {
            readable();
        }
    }

    @Override
    public void failed(Throwable error) {
        Exception e = error instanceof Exception ex ? ex : new RuntimeException(error);
        listener.error(this, e);
        engine.closeConnection(CloseFrame.ABNORMAL_CLOSE, String.valueOf(error.getMessage()));
        closeSocket();
    }

    private void connected() throws IOException {
        connected = true;
        TlsSession t = tls;
        if (t == null) {
            established();
            return;
        }
        t.beginHandshake();
        flush();
        pumpTls();
    }

    /** The socket (and TLS) is up: sends the opening handshake. */
    private void established() throws IOException {
        if (closed.getCount() == 0 || engine.isClosing() || engine.isClosed()) {
            throw new IOException("closed while connecting");
        }
        established = true;
        HandshakeImpl1Client handshake = new HandshakeImpl1Client();
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        handshake.setResourceDescriptor(uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery());
        boolean defaultPort = port == (secure ? 443 : 80);
        handshake.put("Host", defaultPort ? uri.getHost() : uri.getHost() + ":" + port);
        try {
            engine.startHandshake(handshake);
        } catch (InvalidHandshakeException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private void readable() {
        guarded(this::read);
    }

    private void read() throws IOException {
        if (tls != null) {
            readTls();
            return;
        }
        for (int i = 0; i < READS_PER_WAKEUP && !readsPaused; i++) {
            ByteBuffer buf = io.readBuffer();
            int n = channel.read(buf);
            if (n < 0) {
                closeSocket();
                return;
            }
            if (n == 0) {
                break;
            }
            buf.flip();
            engine.decode(buf);
            pauseReadsIfBacklogFull();
            if (n < buf.capacity()) {
                break;
            }
        }
    }

    private interface IoStep {
        void run() throws IOException;
    }

    /** Runs a step of reading on {@code gateway-io}; its failure ends the connection, saying why where it matters. */
    private void guarded(IoStep step) {
        try {
            step.run();
        } catch (SSLException e) {
            // a certificate the JDK (or the configured context) does not trust, a host name it does not hold, a
            // broken record: say so, the shard's log line carries it
            if (established) {
                failed(e);
            } else {
                neverConnected(e);
            }
        } catch (IOException e) {
            closeSocket(); // reset by the peer, or closed: the engine reports the end (eot)
        }
    }

    private void readTls() throws IOException {
        TlsSession t = tls;
        for (int i = 0; i < READS_PER_WAKEUP && !readsPaused; i++) {
            int n = t.read(channel);
            pumpTls();
            if (n < 0 || t.inboundDone()) {
                closeSocket();
                return;
            }
            if (n == 0 || !t.inboundFull()) {
                break;
            }
        }
    }

    /** Unwraps what arrived, decoding the plaintext, and answers the handshake, until neither makes progress. */
    private void pumpTls() throws IOException {
        TlsSession t = tls;
        for (int round = 0; round < 64 && !readsPaused; round++) {
            boolean progressed = t.unwrap(io.readBuffer(), this::decodeTls);
            if (t.tasksDue()) {
                t.runTasks(name, () -> io.execute(this::tlsTasksDone));
                return;
            }
            if (t.wantsWrap()) {
                flush();
            }
            tlsProgress();
            pauseReadsIfBacklogFull();
            if (!progressed || t.inboundDone()) {
                return;
            }
        }
    }

    /** The handshake's delegated tasks are done: it goes on with what they decided. */
    private void tlsTasksDone() {
        if (socketClosed.get()) {
            return;
        }
        guarded(() -> {
            flush();
            pumpTls();
        });
    }

    private void decodeTls(ByteBuffer app) {
        if (app.hasRemaining()) {
            engine.decode(app);
        }
    }

    /** After TLS progress: starts the websocket once the TLS handshake is done. */
    private void tlsProgress() throws IOException {
        TlsSession t = tls;
        if (!established && t != null && t.handshakeDone()) {
            established();
        }
    }

    private void writable() throws IOException {
        flush();
        if (tls != null) {
            pumpTls(); // a handshake step that waited for the write may let the records read meanwhile through
        }
    }

    private void pauseReadsIfBacklogFull() {
        if (readsPaused || backlog.get() < MAX_BACKLOG_BYTES) {
            return;
        }
        readsPaused = true;
        SelectionKey k = key;
        if (k != null && k.isValid()) {
            k.interestOpsAnd(~SelectionKey.OP_READ);
        }
        if (backlog.get() < MAX_BACKLOG_BYTES && resumeQueued.compareAndSet(false, true)) {
            io.execute(this::resumeReads); // taken meanwhile, before the shard's thread could see the pause
        }
    }

    private void resumeReads() {
        resumeQueued.set(false);
        if (!readsPaused || backlog.get() >= MAX_BACKLOG_BYTES) {
            return;
        }
        readsPaused = false;
        SelectionKey k = key;
        if (k != null && k.isValid()) {
            k.interestOpsOr(SelectionKey.OP_READ); // bytes waiting in the socket are reported by the next select
            if (tls != null) {
                readable(); // records read before the pause and not yet unwrapped are not in the socket any more
            }
        }
    }

    // ---- writes (any thread) ----

    /**
     * Writes out what the engine queued (and TLS handshake records), as far as the socket takes it now; the rest
     * waits for {@code OP_WRITE}. Runs on the sending thread. It never takes the engine's lock while it holds
     * {@link #writeLock} (a failure closes the socket after the lock is let go), so a sender inside the engine (its
     * {@code close}, which holds the engine's lock) cannot deadlock with it.
     */
    private void flush() {
        Exception failed = null;
        writeLock.lock();
        try {
            SocketChannel ch = channel;
            SelectionKey k = key;
            if (ch == null || k == null || socketClosed.get()) {
                return; // nothing can be written yet; connected() flushes
            }
            boolean done = tls != null ? flushTls(ch) : flushPlain(ch);
            if (k.isValid()) {
                if (done) {
                    if ((k.interestOps() & SelectionKey.OP_WRITE) != 0) {
                        k.interestOpsAnd(~SelectionKey.OP_WRITE);
                    }
                } else if ((k.interestOps() & SelectionKey.OP_WRITE) == 0) {
                    k.interestOpsOr(SelectionKey.OP_WRITE);
                    if (!io.inLoop()) {
                        io.wakeup();
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            engine.outQueue.clear();
            failed = e;
        } finally {
            writeLock.unlock();
        }
        if (failed instanceof SSLException tlsFailure) {
            // e.g. the certificate check of the handshake, which the engine reports on its next wrap
            if (established) {
                failed(tlsFailure);
            } else {
                neverConnected(tlsFailure);
            }
        } else if (failed != null) {
            closeSocket(); // gateway-io reports the close (eot)
        }
    }

    /** @return whether everything queued was written */
    private boolean flushPlain(SocketChannel ch) throws IOException {
        while (true) {
            if (pending == null && (pending = engine.outQueue.poll()) == null) {
                return true;
            }
            ch.write(pending);
            if (pending.hasRemaining()) {
                return false;
            }
            pending = null;
        }
    }

    /** @return whether everything queued (handshake records included) was written */
    private boolean flushTls(SocketChannel ch) throws IOException {
        TlsSession t = tls;
        for (int step = 0; step < 100_000; step++) { // a bound, so a broken engine cannot spin under the lock
            if (!t.writeOut(ch)) {
                return false;
            }
            if (t.wantsWrap()) {
                t.wrapHandshake();
                continue;
            }
            if (!established || !t.handshakeDone()) {
                return true;
            }
            if (pending == null && (pending = engine.outQueue.poll()) == null) {
                return true;
            }
            t.wrap(pending);
            if (!pending.hasRemaining()) {
                pending = null;
            }
        }
        throw new IOException("TLS made no progress writing");
    }

    // ---- closing ----

    private void closeSocketLater() {
        if (closeScheduled.compareAndSet(false, true)) {
            io.schedule(CLOSE_GRACE, this::closeSocket);
        }
    }

    /** Closes the socket (any thread); {@code gateway-io} then tells the engine, which reports the close. */
    private void closeSocket() {
        if (!socketClosed.compareAndSet(false, true)) {
            return;
        }
        SocketChannel ch = channel;
        if (ch != null) {
            TlsSession t = tls;
            if (t != null && t.handshakeDone()) {
                writeLock.lock();
                try {
                    t.closeOutbound(ch);
                } finally {
                    writeLock.unlock();
                }
            }
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        if (io.inLoop()) {
            ended();
        } else {
            io.execute(this::ended);
        }
    }

    private void ended() {
        if (!reported.get()) { // else the engine reported the close already, and this is its own socket close
            engine.eot();
        }
    }

    /** The engine's callbacks; they run on whichever thread drove the engine (mostly {@code gateway-io}). */
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
            if (!reported.compareAndSet(false, true)) {
                return;
            }
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
            if (established) {
                flush();
            }
        }

        @Override
        public InetSocketAddress getLocalSocketAddress(WebSocket conn) {
            SocketChannel ch = channel;
            try {
                return ch == null ? null : (InetSocketAddress) ch.getLocalAddress();
            } catch (IOException e) {
                return null;
            }
        }

        @Override
        public InetSocketAddress getRemoteSocketAddress(WebSocket conn) {
            SocketChannel ch = channel;
            try {
                return ch == null ? null : (InetSocketAddress) ch.getRemoteAddress();
            } catch (IOException e) {
                return null;
            }
        }
    }
}
