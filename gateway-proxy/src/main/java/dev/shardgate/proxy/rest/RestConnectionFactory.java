package dev.shardgate.proxy.rest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.ComplianceViolation;
import org.eclipse.jetty.http.HostPortHttpField;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpVersion;
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
 *
 * <p>The connections also hand header names on as the client wrote them ({@link CaseKeepingParser}).
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

    /**
     * A request parser that hands on header names as received. Jetty's parser names a header it knows by its own
     * spelling ({@code user-agent} becomes {@code User-Agent}) whatever the compliance mode, so this reads the names
     * of the header lines from the bytes the parser is about to parse and respells each parsed field with them.
     */
    private static final class CaseKeepingParser extends HttpParser {
        private final ReceivedNames names;

        private CaseKeepingParser(RequestHandler handler, int maxHeaderBytes, HttpCompliance compliance,
                                  ReceivedNames names) {
            super(new Respelling(handler, names), maxHeaderBytes, compliance);
            this.names = names;
        }

        static CaseKeepingParser of(RequestHandler handler, int maxHeaderBytes, HttpCompliance compliance) {
            return new CaseKeepingParser(handler, maxHeaderBytes, compliance, new ReceivedNames());
        }

        @Override
        public boolean parseNext(ByteBuffer buffer) {
            if (isStart()) {
                names.begin();
            }
            // The parser consumes every header byte it is given, so these are the lines it parses in this call.
            names.scan(buffer);
            return super.parseNext(buffer);
        }
    }

    /** The names of a request's header lines, in order, as the client wrote them. Used by its parser's thread. */
    private static final class ReceivedNames {
        private static final int IDLE = 0;
        private static final int REQUEST_LINE = 1;
        private static final int NAME = 2;
        private static final int VALUE = 3;
        private final ArrayDeque<String> names = new ArrayDeque<>();
        private final StringBuilder name = new StringBuilder();
        private int state = IDLE;
        private boolean emptyLine = true;

        void begin() {
            names.clear();
            name.setLength(0);
            state = REQUEST_LINE;
            emptyLine = true;
        }

        void scan(ByteBuffer buffer) {
            for (int i = buffer.position(); i < buffer.limit() && state != IDLE; i++) {
                char c = (char) (buffer.get(i) & 0xff);
                if (c == '\n') {
                    endLine();
                } else if (c != '\r') {
                    emptyLine = false;
                    if (state == NAME) {
                        if (c == ':') {
                            names.add(name.toString());
                            name.setLength(0);
                            state = VALUE;
                        } else {
                            name.append(c);
                        }
                    }
                }
            }
        }

        private void endLine() {
            if (state == REQUEST_LINE) {
                state = emptyLine ? REQUEST_LINE : NAME;
            } else {
                state = emptyLine ? IDLE : NAME;
            }
            name.setLength(0);
            emptyLine = true;
        }

        /** The field under the name it was received with. */
        HttpField respell(HttpField field) {
            String received;
            while ((received = names.poll()) != null) {
                if (received.equalsIgnoreCase(field.getName())) {
                    return received.equals(field.getName()) || field instanceof HostPortHttpField ? field
                            : new HttpField(field.getHeader(), received, field.getValue());
                }
            }
            return field;
        }
    }

    /** Passes every event on, with header names respelt as received. */
    private record Respelling(HttpParser.RequestHandler handler, ReceivedNames names)
            implements HttpParser.RequestHandler {
        @Override
        public void startRequest(String method, String uri, HttpVersion version) {
            handler.startRequest(method, uri, version);
        }

        @Override
        public void parsedHeader(HttpField field) {
            handler.parsedHeader(names.respell(field));
        }

        @Override
        public void messageBegin() {
            handler.messageBegin();
        }

        @Override
        public boolean content(ByteBuffer item) {
            return handler.content(item);
        }

        @Override
        public boolean headerComplete() {
            return handler.headerComplete();
        }

        @Override
        public boolean contentComplete() {
            return handler.contentComplete();
        }

        @Override
        public boolean messageComplete() {
            return handler.messageComplete();
        }

        @Override
        public void parsedTrailer(HttpField field) {
            handler.parsedTrailer(field);
        }

        @Override
        public void earlyEOF() {
            handler.earlyEOF();
        }

        @Override
        public void onViolation(ComplianceViolation.Event event) {
            handler.onViolation(event);
        }

        @Override
        public ComplianceViolation.Listener getComplianceViolationListener() {
            return handler.getComplianceViolationListener();
        }

        @Override
        public void badMessage(HttpException failure) {
            handler.badMessage(failure);
        }
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
        protected HttpParser newHttpParser(HttpCompliance compliance) {
            // Called from HttpConnection's constructor; the default parser only lends its request handler.
            HttpParser plain = super.newHttpParser(compliance);
            HttpParser parser = CaseKeepingParser.of((HttpParser.RequestHandler) plain.getHandler(),
                    getHttpConfiguration().getRequestHeaderSize(), compliance);
            parser.setHeaderCacheSize(plain.getHeaderCacheSize());
            parser.setHeaderCacheCaseSensitive(plain.isHeaderCacheCaseSensitive());
            return parser;
        }

        @Override
        public void onOpen() {
            super.onOpen();
            arm(getMessagesIn());
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
