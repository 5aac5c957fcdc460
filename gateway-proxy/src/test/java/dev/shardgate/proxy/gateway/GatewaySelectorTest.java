package dev.shardgate.proxy.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.proxy.SelfSignedTls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.SelectionKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The selector thread that serves every gateway connection: many connections on one thread, and a connection whose
 * peer stalls (mid-frame, or never reading what we send) or whose shard is behind delays none of the others; bad
 * input and a failing handler close only their own connection; an error that stops the thread closes every socket
 * and is reported once; over TLS, the certificate is checked off the selector thread and the connection ends with
 * close_notify.
 */
@Tag("process")
class GatewaySelectorTest {
    private static final int MAX_FRAME = 1 << 20;
    private final GatewaySelector io = GatewaySelector.open(null, error -> { });
    private final Peer peer = new Peer();
    private final Recorder recorder = new Recorder();

    @AfterEach
    void close() throws IOException {
        io.close();
        peer.close();
    }

    @Test
    void manyConnectionsAreServedByOneThread() throws Exception {
        List<GatewayConnection> connections = new ArrayList<>();
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            GatewayConnection c = connect("shard-" + i);
            connections.add(c);
            sockets.add(peer.accept());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.opened.size() == 200);
        for (int k = 0; k < 5; k++) {
            for (int i = 0; i < 200; i++) {
                Peer.sendText(sockets.get(i), i + ":" + k);
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.total.get() == 1000);
        for (int i = 0; i < 200; i++) {
            assertEquals(List.of(i + ":0", i + ":1", i + ":2", i + ":3", i + ":4"),
                    recorder.messages(connections.get(i)));
        }
        assertEquals(Set.of("gateway-io"), recorder.threads);
        long ioThreads = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("gateway-io")).count();
        assertEquals(1, ioThreads);
    }

    @Test
    void aPeerThatStallsMidFrameOrStopsReadingDelaysNoOtherConnection() throws Exception {
        GatewayConnection midFrame = connect("mid-frame");
        Socket midFrameSocket = peer.accept();
        GatewayConnection deaf = connect("deaf");
        Socket deafSocket = peer.acceptWithoutReading();
        GatewayConnection live = connect("live");
        Socket liveSocket = peer.accept();
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.opened.size() == 3);

        // A frame announcing 100 KB, of which 10 bytes come.
        OutputStream out = midFrameSocket.getOutputStream();
        out.write(new byte[] {(byte) 0x81, 127, 0, 0, 0, 0, 0, 1, (byte) 0x86, (byte) 0xA0});
        out.write(new byte[10]);
        out.flush();
        // 32 MB to a peer that reads nothing: every send returns at once, the rest waits for OP_WRITE.
        String chunk = "x".repeat(64 * 1024);
        long slowest = 0;
        for (int i = 0; i < 512; i++) {
            long t0 = System.nanoTime();
            deaf.send(chunk);
            slowest = Math.max(slowest, System.nanoTime() - t0);
        }
        assertTrue(slowest < Duration.ofMillis(200).toNanos(), "a send blocked for " + slowest / 1_000_000 + " ms");

        // The live connection goes on both ways, promptly.
        for (int i = 0; i < 100; i++) {
            long sent = System.nanoTime();
            Peer.sendText(liveSocket, "m" + i);
            int expected = i + 1;
            await().atMost(Duration.ofSeconds(2)).until(() -> recorder.messages(live).size() == expected);
            assertTrue(System.nanoTime() - sent < Duration.ofMillis(500).toNanos());
        }
        long t0 = System.nanoTime();
        live.send("beat");
        assertTrue(System.nanoTime() - t0 < Duration.ofMillis(200).toNanos());
        assertEquals("beat", peer.nextTextFrom(liveSocket));
        assertTrue(recorder.messages(midFrame).isEmpty());
        assertTrue(recorder.closed.isEmpty(), "nothing closed: " + recorder.closed);
        deafSocket.close();
        midFrameSocket.close();
    }

    @Test
    void aFullBacklogStopsReadingThatConnectionUntilTheShardTakesIt() throws Exception {
        AtomicReference<GatewayConnection> full = new AtomicReference<>();
        recorder.onMessage = c -> {
            if (c == full.get()) {
                c.backlogAdded(GatewayConnection.MAX_BACKLOG_BYTES);
            }
        };
        GatewayConnection behind = connect("behind");
        full.set(behind);
        Socket behindSocket = peer.accept();
        GatewayConnection other = connect("other");
        Socket otherSocket = peer.accept();
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.opened.size() == 2);
        Peer.sendText(behindSocket, "first");
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.messages(behind).size() == 1);
        for (int i = 0; i < 3; i++) {
            Peer.sendText(behindSocket, "later" + i);
            Peer.sendText(otherSocket, "other" + i);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.messages(other).size() == 3);
        // not read while the backlog is full, for as long as the other connection needed and more
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> recorder.messages(behind).size() == 1);
        assertEquals(List.of("first"), recorder.messages(behind), "not read while the backlog is full");
        recorder.onMessage = c -> { };
        behind.backlogTaken(GatewayConnection.MAX_BACKLOG_BYTES);
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.messages(behind).size() == 4);
    }

    @Test
    void garbageAndAnOversizedFrameCloseOnlyTheirOwnConnection() throws Exception {
        GatewayConnection garbage = connect("garbage");
        Socket garbageSocket = peer.accept();
        GatewayConnection huge = connect("huge");
        Socket hugeSocket = peer.accept();
        GatewayConnection fine = connect("fine");
        Socket fineSocket = peer.accept();
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.opened.size() == 3);
        garbageSocket.getOutputStream().write(new byte[] {(byte) 0x8B, 3, 1, 2, 3, (byte) 0xFF, (byte) 0xFF});
        OutputStream out = hugeSocket.getOutputStream();
        int size = 20 << 20;
        out.write(new byte[] {(byte) 0x82, 127, 0, 0, 0, 0, (byte) (size >>> 24), (byte) (size >>> 16),
                (byte) (size >>> 8), (byte) size});
        out.write(new byte[64 * 1024]);
        await().atMost(Duration.ofSeconds(10)).until(() -> recorder.closed.containsKey(garbage)
                && recorder.closed.containsKey(huge));
        assertEquals(1002, recorder.closed.get(garbage), "protocol error");
        assertEquals(1009, recorder.closed.get(huge), "too big");
        Peer.sendText(fineSocket, "still here");
        await().atMost(Duration.ofSeconds(5)).until(() -> recorder.messages(fine).equals(List.of("still here")));
        assertTrue(!recorder.closed.containsKey(fine));
    }

    @Test
    void aHandlerThatThrowsLosesOnlyItsOwnChannel() throws Exception {
        Pipe bad = Pipe.open();
        Pipe good = Pipe.open();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger goodReads = new AtomicInteger();
        io.execute(() -> {
            try {
                bad.source().configureBlocking(false);
                good.source().configureBlocking(false);
                io.register(bad.source(), SelectionKey.OP_READ, new GatewaySelector.Handler() {
                    @Override
                    public void ready(SelectionKey key) {
                        throw new IllegalStateException("boom");
                    }

                    @Override
                    public void failed(Throwable error) {
                        failure.set(error);
                        try {
                            bad.source().close();
                        } catch (IOException ignored) {
                            // closing
                        }
                    }
                });
                io.register(good.source(), SelectionKey.OP_READ, new GatewaySelector.Handler() {
                    @Override
                    public void ready(SelectionKey key) throws IOException {
                        goodReads.addAndGet(good.source().read(ByteBuffer.allocate(64)));
                    }

                    @Override
                    public void failed(Throwable error) {
                    }
                });
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        bad.sink().write(ByteBuffer.wrap(new byte[] {1}));
        await().atMost(Duration.ofSeconds(5)).until(() -> failure.get() != null);
        good.sink().write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        await().atMost(Duration.ofSeconds(5)).until(() -> goodReads.get() == 3);
        assertEquals("boom", failure.get().getMessage());
    }

    @Test
    void aThreadStoppedByAnErrorClosesEverySocketAndTellsItsOwnerOnce() throws Exception {
        List<Throwable> deaths = new CopyOnWriteArrayList<>();
        GatewaySelector.open(null, deaths::add).close();
        assertEquals(List.of(), deaths, "an orderly close is not a death");
        try (GatewaySelector dying = GatewaySelector.open(null, deaths::add)) {
            new GatewayConnection(URI.create("ws://127.0.0.1:" + peer.port() + "/?v=10"), "doomed", recorder,
                    new FrameDecoder(null, MAX_FRAME), MAX_FRAME, dying).connect();
            Socket socket = peer.accept();
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.opened.size() == 1);
            InternalError cause = new InternalError("the VM is broken");
            dying.execute(() -> {
                throw cause;
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> deaths.size() == 1);
            assertEquals(List.of(cause), deaths);
            socket.setSoTimeout(5_000);
            assertEquals(-1, socket.getInputStream().read(), "the socket is closed");
        }
        assertEquals(1, deaths.size(), "told once, not again when closed");
    }

    @Test
    void aWssConnectionChecksItsCertificateOffTheSelectorThreadAndEndsWithCloseNotify(@TempDir Path dir)
            throws Exception {
        SelfSignedTls tls = SelfSignedTls.create(dir);
        try (GatewaySelector tlsIo = GatewaySelector.open(tls.client(), error -> { });
                Peer tlsPeer = new Peer(tls.server().getServerSocketFactory()
                        .createServerSocket(0, 16, InetAddress.getLoopbackAddress()))) {
            GatewayConnection c = new GatewayConnection(URI.create("wss://localhost:" + tlsPeer.port() + "/?v=10"),
                    "tls", recorder, new FrameDecoder(null, MAX_FRAME), MAX_FRAME, tlsIo);
            c.connect();
            Socket socket = tlsPeer.accept();
            await().atMost(Duration.ofSeconds(10)).until(() -> recorder.opened.contains(c));
            assertTrue(!tls.checkedOn().isEmpty() && !tls.checkedOn().contains("gateway-io"),
                    "checked on " + tls.checkedOn());
            Peer.sendText(socket, "over tls");
            await().atMost(Duration.ofSeconds(5)).until(() -> recorder.messages(c).equals(List.of("over tls")));
            c.send("from the shard");
            assertEquals("from the shard", tlsPeer.nextTextFrom(socket));
            c.close(1000, "bye");
            // The close frame, then an orderly end of the TLS stream (a socket closed without close_notify makes
            // the JDK's SSLSocket throw here instead of returning -1).
            InputStream in = socket.getInputStream();
            assertEquals(0x88, in.read(), "a close frame");
            in.readNBytes((in.read() & 0x7F) + 4); // its masked status code and reason
            assertEquals(-1, in.read());
        }
    }

    private GatewayConnection connect(String name) {
        GatewayConnection c = new GatewayConnection(URI.create("ws://127.0.0.1:" + peer.port() + "/?v=10"), name,
                recorder, new FrameDecoder(null, MAX_FRAME), MAX_FRAME, io);
        c.connect();
        return c;
    }

    /** Records what the connections report, and on which threads. */
    private static final class Recorder implements GatewayConnection.Listener {
        final Set<GatewayConnection> opened = ConcurrentHashMap.newKeySet();
        final Map<GatewayConnection, List<String>> received = new ConcurrentHashMap<>();
        final Map<GatewayConnection, Integer> closed = new ConcurrentHashMap<>();
        final Set<String> threads = ConcurrentHashMap.newKeySet();
        final AtomicInteger total = new AtomicInteger();
        volatile java.util.function.Consumer<GatewayConnection> onMessage = c -> { };

        List<String> messages(GatewayConnection c) {
            return List.copyOf(received.getOrDefault(c, List.of()));
        }

        @Override
        public void opened(GatewayConnection connection) {
            threads.add(Thread.currentThread().getName());
            opened.add(connection);
        }

        @Override
        public void message(GatewayConnection connection, ByteBuffer bytes, boolean binary) {
            threads.add(Thread.currentThread().getName());
            byte[] b = new byte[bytes.remaining()];
            bytes.get(b);
            received.computeIfAbsent(connection, k -> new CopyOnWriteArrayList<>())
                    .add(new String(b, StandardCharsets.UTF_8));
            total.incrementAndGet();
            onMessage.accept(connection);
        }

        @Override
        public void closed(GatewayConnection connection, int code, String reason, boolean remote) {
            closed.put(connection, code);
        }

        @Override
        public void error(GatewayConnection connection, Exception error) {
        }
    }

    /** A websocket peer on plain sockets, so a test can make it stall exactly where it wants. */
    private static final class Peer implements AutoCloseable {
        private final ServerSocket server;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final Map<Socket, InputStream> inputs = new ConcurrentHashMap<>();

        Peer() {
            this(plainServer());
        }

        /** @param server plain, or TLS */
        Peer(ServerSocket server) {
            this.server = server;
        }

        private static ServerSocket plainServer() {
            try {
                return new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        int port() {
            return server.getLocalPort();
        }

        /** Accepts a connection, answers its handshake and then discards what it sends. */
        Socket accept() throws Exception {
            Socket s = acceptWithoutReading();
            inputs.put(s, s.getInputStream());
            return s;
        }

        /** Accepts a connection and answers its handshake; then reads nothing. */
        Socket acceptWithoutReading() throws Exception {
            Socket s = server.accept();
            sockets.add(s);
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("closed during the handshake");
                }
                head.append((char) b);
            }
            String key = head.toString().lines().filter(l -> l.toLowerCase(Locale.ROOT).startsWith("sec-websocket-key:"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElseThrow();
            String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                    .digest((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").getBytes(StandardCharsets.US_ASCII)));
            s.getOutputStream().write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    + "Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return s;
        }

        /** The next text frame the client sent on {@code s} (masked, as clients send). */
        String nextTextFrom(Socket s) throws IOException {
            InputStream in = inputs.get(s);
            int b0 = in.read();
            int b1 = in.read();
            long len = b1 & 0x7F;
            if (len == 126) {
                len = ((long) in.read() << 8) | in.read();
            } else if (len == 127) {
                len = 0;
                for (int i = 0; i < 8; i++) {
                    len = (len << 8) | in.read();
                }
            }
            byte[] mask = in.readNBytes(4);
            byte[] payload = in.readNBytes((int) len);
            for (int i = 0; i < payload.length; i++) {
                payload[i] ^= mask[i % 4];
            }
            assertEquals(0x81, b0);
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** An unmasked text frame, as servers send. */
        static void sendText(Socket s, String text) throws IOException {
            byte[] payload = text.getBytes(StandardCharsets.UTF_8);
            OutputStream out = s.getOutputStream();
            if (payload.length < 126) {
                out.write(new byte[] {(byte) 0x81, (byte) payload.length});
            } else {
                out.write(new byte[] {(byte) 0x81, 126, (byte) (payload.length >>> 8), (byte) payload.length});
            }
            out.write(payload);
            out.flush();
        }

        @Override
        public void close() throws IOException {
            for (Socket s : sockets) {
                s.close();
            }
            server.close();
        }
    }
}
