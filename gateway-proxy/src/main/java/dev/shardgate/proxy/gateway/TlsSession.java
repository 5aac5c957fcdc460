package dev.shardgate.proxy.gateway;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;

/**
 * TLS of one {@code wss://} connection over a non-blocking channel: an {@link SSLEngine} in client mode (set up by
 * {@link GatewayConnection} with SNI and host name verification) and its two record buffers. It only moves bytes;
 * the connection decides when.
 *
 * <p>Threads: the inbound side ({@link #read}, {@link #unwrap}) runs on {@code gateway-io} only; the outbound side
 * ({@link #wrap}, {@link #wrapHandshake}, {@link #writeOut}, {@link #closeOutbound}) runs under the connection's write
 * lock, on whichever thread sends. {@link SSLEngine} allows a wrap and an unwrap at the same time (and serialises its
 * handshake state itself). The handshake's delegated tasks (the server's messages, key agreement and the certificate
 * checks: a few milliseconds of CPU per connection) run on a virtual thread ({@link #runTasks}), so that a thousand
 * shards connecting at once do not hold up the events of the shards already running; the few after the handshake
 * (session tickets) run inline.
 */
final class TlsSession {
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final SSLEngine ssl;
    /** Records read and not yet unwrapped, in write mode; {@code gateway-io} only. */
    private ByteBuffer netIn;
    /** Records wrapped and not yet written, in write mode; under the connection's write lock. */
    private ByteBuffer netOut;
    private volatile boolean started;
    private volatile boolean handshaken;
    private volatile boolean inboundDone;
    /** The handshake's delegated tasks are running on their own thread: nothing is unwrapped meanwhile. */
    private volatile boolean tasksRunning;

    TlsSession(SSLEngine ssl) {
        this.ssl = ssl;
        int packet = ssl.getSession().getPacketBufferSize();
        this.netIn = ByteBuffer.allocate(packet);
        this.netOut = ByteBuffer.allocate(packet);
    }

    void beginHandshake() throws SSLException {
        ssl.beginHandshake();
        started = true;
    }

    /** The handshake completed (once true, stays true: later key updates are answered without the connection's help). */
    boolean handshakeDone() {
        if (!handshaken && started) {
            HandshakeStatus hs = ssl.getHandshakeStatus();
            if (hs == HandshakeStatus.NOT_HANDSHAKING || hs == HandshakeStatus.FINISHED) {
                handshaken = true;
            }
        }
        return handshaken;
    }

    /** The engine has records to produce (handshake, key update, close_notify reply). */
    boolean wantsWrap() {
        return started && ssl.getHandshakeStatus() == HandshakeStatus.NEED_WRAP;
    }

    /** The handshake waits for its delegated tasks, which {@link #runTasks} should start. */
    boolean tasksDue() {
        return !tasksRunning && !handshaken && ssl.getHandshakeStatus() == HandshakeStatus.NEED_TASK;
    }

    /**
     * Runs the handshake's delegated tasks on a virtual thread, then {@code then} there (a failure in them surfaces
     * on the next unwrap or wrap, as {@link SSLEngine} records it).
     */
    void runTasks(String name, Runnable then) {
        tasksRunning = true;
        Thread.ofVirtual().name(name + "-tls").start(() -> {
            try {
                runTasksInline();
            } finally {
                tasksRunning = false;
                then.run();
            }
        });
    }

    /** The peer sent close_notify. */
    boolean inboundDone() {
        return inboundDone;
    }

    /** The last read filled the inbound buffer: the socket may hold more. */
    boolean inboundFull() {
        return !netIn.hasRemaining();
    }

    /** Reads from the socket what fits; -1 at its end. */
    int read(SocketChannel ch) throws IOException {
        if (!netIn.hasRemaining()) {
            return 0; // unwrap makes room (or grows the buffer) first
        }
        return ch.read(netIn);
    }

    /**
     * Unwraps every whole record read so far, handing each one's plaintext to {@code sink} (in {@code app}, which
     * is reused: the sink must take it all before returning).
     *
     * @return whether anything was consumed or produced
     */
    boolean unwrap(ByteBuffer app, Consumer<ByteBuffer> sink) throws IOException {
        boolean progressed = false;
        netIn.flip();
        try {
            while (netIn.hasRemaining() && !inboundDone && !tasksRunning) {
                HandshakeStatus before = ssl.getHandshakeStatus();
                if (before == HandshakeStatus.NEED_WRAP || (before == HandshakeStatus.NEED_TASK && !handshaken)) {
                    break; // our turn to write first, or the tasks' turn
                }
                app.clear();
                SSLEngineResult r = ssl.unwrap(netIn, app);
                if (handshaken && r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
                    runTasksInline();
                }
                if (r.bytesConsumed() > 0 || r.bytesProduced() > 0) {
                    progressed = true;
                }
                app.flip();
                if (app.hasRemaining()) {
                    sink.accept(app);
                }
                switch (r.getStatus()) {
                    case OK -> {
                        if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
                            return progressed;
                        }
                    }
                    case BUFFER_UNDERFLOW -> {
                        growInboundIfFull();
                        return progressed;
                    }
                    case BUFFER_OVERFLOW -> throw new SSLException("a TLS record's plaintext is larger than "
                            + app.capacity() + " bytes");
                    case CLOSED -> inboundDone = true;
                }
            }
            return progressed;
        } finally {
            netIn.compact();
        }
    }

    /** A record larger than the buffer (the session's packet size can grow after the handshake). */
    private void growInboundIfFull() {
        int packet = ssl.getSession().getPacketBufferSize();
        if (netIn.position() == 0 && netIn.limit() == netIn.capacity() && netIn.capacity() < packet) {
            ByteBuffer bigger = ByteBuffer.allocate(packet);
            bigger.put(netIn);
            bigger.flip();
            netIn = bigger;
        }
    }

    /** Wraps a handshake (or other control) record; under the write lock. */
    void wrapHandshake() throws IOException {
        wrap(EMPTY);
    }

    /** Wraps what of {@code src} fits in one record; under the write lock, after {@link #writeOut} emptied the buffer. */
    void wrap(ByteBuffer src) throws IOException {
        SSLEngineResult r = ssl.wrap(src, netOut);
        if (r.getHandshakeStatus() == HandshakeStatus.NEED_TASK) {
            runTasksInline();
        }
        switch (r.getStatus()) {
            case OK -> {
            }
            case BUFFER_OVERFLOW -> {
                int packet = ssl.getSession().getPacketBufferSize();
                if (netOut.position() == 0 && netOut.capacity() < packet) {
                    netOut = ByteBuffer.allocate(packet);
                } else if (netOut.position() == 0) {
                    throw new SSLException("cannot wrap into " + netOut.capacity() + " bytes");
                }
            }
            case BUFFER_UNDERFLOW -> throw new SSLException("unexpected buffer underflow on wrap");
            case CLOSED -> throw new SSLException("TLS session closed");
        }
    }

    /**
     * Writes wrapped records to the socket; under the write lock.
     *
     * @return whether none is left
     */
    boolean writeOut(SocketChannel ch) throws IOException {
        if (netOut.position() == 0) {
            return true;
        }
        netOut.flip();
        try {
            ch.write(netOut);
            return !netOut.hasRemaining();
        } finally {
            netOut.compact();
        }
    }

    /**
     * Sends close_notify, as far as the socket takes it now (best effort: the socket is closed next); under the write
     * lock. Peers then see an orderly end rather than a truncated stream.
     */
    void closeOutbound(SocketChannel ch) {
        try {
            if (!writeOut(ch)) {
                return;
            }
            ssl.closeOutbound();
            ssl.wrap(EMPTY, netOut);
            writeOut(ch);
        } catch (IOException | RuntimeException ignored) {
            // the socket is being closed anyway
        }
    }

    private void runTasksInline() {
        Runnable task;
        while ((task = ssl.getDelegatedTask()) != null) {
            task.run();
        }
    }
}
