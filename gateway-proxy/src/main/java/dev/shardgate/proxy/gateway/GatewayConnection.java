package dev.shardgate.proxy.gateway;

import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;

/**
 * One WebSocket connection of a shard. Java-WebSocket clients are single-use, so a shard opens a new one for every
 * (re)connect. The callbacks run on the library's read thread and only hand the event to the {@link Listener},
 * which queues it on the shard's thread; they decide nothing. The library's connection-lost checker is off:
 * Discord's heartbeats are the liveness check.
 */
final class GatewayConnection extends WebSocketClient {
    interface Listener {
        void opened(GatewayConnection connection);

        void message(GatewayConnection connection, ByteBuffer bytes, boolean binary);

        void closed(GatewayConnection connection, int code, String reason, boolean remote);

        void error(GatewayConnection connection, Exception error);
    }

    private final Listener listener;
    private final FrameDecoder decoder;
    private volatile Heartbeater heartbeater;
    private final CountDownLatch closed = new CountDownLatch(1);

    GatewayConnection(URI uri, Listener listener, FrameDecoder decoder) {
        super(uri);
        this.listener = listener;
        this.decoder = decoder;
        setConnectionLostTimeout(0);
        setTcpNoDelay(true);
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

    /** Waits until the socket is closed, at most {@code timeout}. */
    void awaitClosed(Duration timeout) {
        try {
            closed.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void onOpen(ServerHandshake handshake) {
        listener.opened(this);
    }

    @Override
    public void onMessage(String message) {
        listener.message(this, ByteBuffer.wrap(message.getBytes(java.nio.charset.StandardCharsets.UTF_8)), false);
    }

    @Override
    public void onMessage(ByteBuffer bytes) {
        listener.message(this, bytes, true);
    }

    @Override
    public void onClose(int code, String reason, boolean remote) {
        closed.countDown();
        decoder.close();
        listener.closed(this, code, reason, remote);
    }

    @Override
    public void onError(Exception error) {
        listener.error(this, error);
    }
}
