package dev.shardgate.proxy.rest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * HTTP/1.1 connections that give a client {@code REST_HEADER_TIMEOUT} to send a request's line and headers, from
 * connecting (first request) or from the request's first byte (later ones on a kept-alive connection). Jetty's idle
 * timeout alone does not stop a slowloris client, which sends a byte now and then and is never idle; this timer is
 * total. A client that misses it gets 408 {@code header_timeout} and the connection is closed. The timers run on the
 * connector's scheduler thread; only requests whose headers span more than one read (or a new connection) arm one.
 */
final class RestConnectionFactory extends HttpConnectionFactory {
    private final long headerTimeoutMillis;

    RestConnectionFactory(HttpConfiguration config, Duration headerTimeout) {
        super(config);
        this.headerTimeoutMillis = headerTimeout.toMillis();
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        HeaderTimedConnection connection = new HeaderTimedConnection(getHttpConfiguration(), connector, endPoint,
                headerTimeoutMillis);
        connection.setTransferEncodingChunkMaxLength(getTransferEncodingChunkMaxLength());
        return configure(connection, connector, endPoint);
    }

    private static final class HeaderTimedConnection extends HttpConnection {
        private static final byte[] TIMED_OUT = timedOut();
        private final long timeoutMillis;
        /** The armed timer, and the count of requests received when it was armed: it fires for the next one. */
        private volatile Scheduler.Task timer;
        private volatile long armedAt;

        HeaderTimedConnection(HttpConfiguration config, Connector connector, EndPoint endPoint, long timeoutMillis) {
            super(config, connector, endPoint);
            this.timeoutMillis = timeoutMillis;
        }

        private static byte[] timedOut() {
            ProxyReply reply = ProxyReply.error(408, "header_timeout", "the request's headers did not arrive in time");
            byte[] body = reply.body();
            String head = "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n" + RestHeaders.GENERATED
                    + ": true\r\n" + RestHeaders.REASON + ": header_timeout\r\nConnection: close\r\nContent-Length: "
                    + body.length + "\r\n\r\n";
            byte[] head8 = head.getBytes(StandardCharsets.ISO_8859_1);
            byte[] all = new byte[head8.length + body.length];
            System.arraycopy(head8, 0, all, 0, head8.length);
            System.arraycopy(body, 0, all, head8.length, body.length);
            return all;
        }

        @Override
        public void onOpen() {
            // Armed before opening: opening asks to read, and a request read and counted before the timer existed
            // would leave it armed for the next request, to answer 408 on this connection mid-request or when idle.
            arm(0);
            super.onOpen();
        }

        @Override
        public void onFillable() {
            super.onFillable();
            // Runs on the thread that parsed, after any request it completed was handled.
            long received = getMessagesIn();
            Scheduler.Task armed = timer;
            if (armed != null && armedAt != received) {
                armed.cancel();
                timer = null;
            }
            HttpParser parser = getParser();
            if (timer == null && !parser.isStart() && parser.inHeaderState()) {
                arm(received);
            }
        }

        @Override
        public void onClose(Throwable cause) {
            Scheduler.Task armed = timer;
            if (armed != null) {
                armed.cancel();
            }
            super.onClose(cause);
        }

        private void arm(long received) {
            armedAt = received;
            timer = getConnector().getScheduler().schedule(() -> expire(received), timeoutMillis, TimeUnit.MILLISECONDS);
        }

        private void expire(long received) {
            if (getMessagesIn() != received || !getEndPoint().isOpen()) {
                return;
            }
            // No request is being handled (its headers never completed), so nothing else writes to the connection.
            EndPoint endPoint = getEndPoint();
            endPoint.write(Callback.from(endPoint::close, x -> endPoint.close()), ByteBuffer.wrap(TIMED_OUT));
        }
    }
}
