package dev.shardgate.proxy.rest;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.simulator.rest.BucketKey;
import dev.shardgate.simulator.rest.RestSettings;
import dev.shardgate.simulator.rest.RouteBucket;
import io.micrometer.core.instrument.Gauge;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST role's HTTP server with real sockets: slow and excess clients, hang-ups, header case, large uploads.
 * Raw clients ({@link RawClient}) send what well-behaved HTTP clients would not.
 */
@Tag("process")
class RestServerTest {
    private static final String GET_ME = "GET /api/v10/users/@me HTTP/1.1\r\nHost: x\r\n\r\n";
    private final List<AutoCloseable> closing = new ArrayList<>();
    @TempDir
    Path spool;

    private SimulatedDiscord discord() {
        SimulatedDiscord d = new SimulatedDiscord(RestSettings.defaults());
        closing.add(d);
        return d;
    }

    private ProxyUnderTest proxy(URI apiUrl, Map<String, String> env) {
        Map<String, String> settings = new java.util.HashMap<>(env);
        settings.put("REST_SPOOL_DIR", spool.toString());
        ProxyUnderTest p = new ProxyUnderTest(apiUrl, settings);
        closing.add(0, p);
        return p;
    }

    private RawClient raw(ProxyUnderTest p) throws IOException {
        RawClient c = new RawClient(p.proxy.port());
        closing.add(0, c);
        return c;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    @Test
    void aSlowlorisClientIsCutOffWhileOthersAreServed() throws Exception {
        SimulatedDiscord d = discord();
        ProxyUnderTest p = proxy(d.apiUrl(), Map.of("REST_HEADER_TIMEOUT", "1s"));
        RawClient slow = raw(p);
        slow.send("GET /api/v10/users/@me HTTP/1.1\r\nHost: x\r\n");
        // One header byte every 100 ms: never idle, so only a total header timeout stops it.
        Thread trickle = Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    slow.send("X");
                    Thread.sleep(100);
                }
            } catch (IOException | InterruptedException e) {
                // cut off, or the test is over
            }
        });
        try {
            long start = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                assertEquals(200, p.send(p.request("/users/@me").GET().build()).statusCode(), "served meanwhile");
            }
            String answer = slow.readResponse();
            assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
            assertTrue(answer.contains("header_timeout"), answer);
            assertEquals("", slow.readResponse(), "then the connection is closed");
            assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(10)) < 0);
            assertEquals(200, p.send(p.request("/users/@me").GET().build()).statusCode(), "still serving");
        } finally {
            trickle.interrupt();
        }
    }

    @Test
    void connectionsOverTheCapWaitUnacceptedUntilOneCloses() throws Exception {
        SimulatedDiscord d = discord();
        ProxyUnderTest p = proxy(d.apiUrl(), Map.of("REST_MAX_CONNECTIONS", "2"));
        RawClient first = raw(p);
        RawClient second = raw(p);
        first.send(GET_ME);
        assertTrue(first.readResponse().startsWith("HTTP/1.1 200"));
        second.send(GET_ME);
        assertTrue(second.readResponse().startsWith("HTTP/1.1 200"));

        // The kernel completes the third handshake (the listen backlog), but the proxy does not accept it.
        RawClient third = raw(p);
        third.send(GET_ME);
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> third.available() == 0);
        first.send(GET_ME);
        assertTrue(first.readResponse().startsWith("HTTP/1.1 200"), "connections within the cap are served");

        second.close();
        String answer = third.readResponse();
        assertTrue(answer.startsWith("HTTP/1.1 200"), "accepted once a connection closed: " + answer);
    }

    @Test
    void aClientThatHangsUpWhileQueuedLeavesTheQueueAtOnce() throws Exception {
        SimulatedDiscord d = discord();
        d.rest.setBucketLimit(RouteBucket.CREATE_MESSAGE, 1, Duration.ofSeconds(60));
        ProxyUnderTest p = proxy(d.apiUrl(), Map.of());
        assertEquals(200, p.send(p.request("/channels/31/messages").header("Content-Type", "application/json")
                .POST(ProxyUnderTest.json("{\"content\":\"first\"}")).build()).statusCode());
        String body = "{\"content\":\"never sent\"}";
        RawClient client = raw(p);
        client.send("POST /api/v10/channels/31/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body);
        await().atMost(Duration.ofSeconds(10)).until(() -> queued(p) == 1);
        client.close();
        // The old /proc/net/tcp scan needed two 200 ms scans; the selector sees the FIN itself.
        await().atMost(Duration.ofSeconds(1)).until(() -> queued(p) == 0 && held(p) == 0);
        assertEquals(1, d.rest.observations().requestTimes(BucketKey.of(RouteBucket.CREATE_MESSAGE, "channel:31"))
                .size(), "the simulator never received it");
    }

    @Test
    void aKeptAliveClientThatWaitedIsAnsweredOnTheSameConnection() throws Exception {
        SimulatedDiscord d = discord();
        d.rest.setBucketLimit(RouteBucket.CREATE_MESSAGE, 1, Duration.ofSeconds(2));
        ProxyUnderTest p = proxy(d.apiUrl(), Map.of());
        String body = "{\"content\":\"m\"}";
        String post = "POST /api/v10/channels/32/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length() + "\r\n\r\n" + body;
        RawClient client = raw(p);
        for (int i = 0; i < 3; i++) {
            client.send(post);
            String answer = client.readResponse();
            assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
        }
        client.send(GET_ME);
        assertTrue(client.readResponse().startsWith("HTTP/1.1 200"), "the watch left the connection readable");
    }

    private static double queued(ProxyUnderTest p) {
        return p.registry.find("shardgate.rest.queue.depth").gauges().stream().mapToDouble(Gauge::value).sum();
    }

    private static double held(ProxyUnderTest p) {
        return p.registry.get("shardgate.rest.held.requests").gauge().value();
    }

    @Test
    void discordsHeaderNamesKeepTheirCase() throws Exception {
        try (FakeDiscord upstream = new FakeDiscord("HTTP/1.1 200 OK\r\nX-RateLimit-Bucket: abc123\r\n"
                + "x-lower-case: v\r\nX-MIXED-case: w\r\ncontent-type: application/json\r\nContent-Length: 2\r\n\r\n{}")) {
            ProxyUnderTest p = proxy(upstream.apiUrl(), Map.of());
            RawClient client = raw(p);
            client.send("GET /api/v10/users/@me HTTP/1.1\r\nHost: x\r\nX-Audit-Log-Reason: why\r\n"
                    + "x-custom-lower: 1\r\nuser-agent: DiscordBot (https://example.org, 1.0)\r\n"
                    + "ACCEPT: application/json\r\n\r\n");
            String answer = client.readResponse();
            assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
            for (String line : List.of("X-RateLimit-Bucket: abc123", "x-lower-case: v", "X-MIXED-case: w",
                    "content-type: application/json")) {
                assertTrue(answer.contains("\r\n" + line + "\r\n"), line + " in " + answer);
            }
            // Toward Discord names are case-insensitive (and lower case on HTTP/2): only the values must arrive.
            String received = upstream.requests.getFirst().toLowerCase(java.util.Locale.ROOT);
            for (String line : List.of("x-audit-log-reason: why", "x-custom-lower: 1",
                    "user-agent: discordbot (https://example.org, 1.0)", "accept: application/json")) {
                assertTrue(received.contains("\r\n" + line + "\r\n"), line + " in " + received);
            }
        }
    }

    @Test
    void aLargeUploadFromASlowClientIsSpooledAndForwardedIntact() throws Exception {
        SimulatedDiscord d = discord();
        AtomicReference<byte[]> arrived = new AtomicReference<>();
        d.rest.observe((method, path, body, at) -> {
            if (path.endsWith("/channels/33/messages") && body != null) {
                arrived.set(sha256(body));
            }
        });
        ProxyUnderTest p = proxy(d.apiUrl(), Map.of());
        byte[] body = multipart(25 * 1024 * 1024 - 4096);
        RawClient client = raw(p);
        client.send("POST /api/v10/channels/33/messages HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                + "boundary=" + BOUNDARY + "\r\nContent-Length: " + body.length + "\r\n\r\n");
        CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> sendSlowly(client, body, body.length));
        // Past 1 MiB the body is in a file, not on the heap, while it arrives and while it is sent on.
        await().atMost(Duration.ofSeconds(30)).until(() -> spoolFiles().size() == 1);
        upload.join();
        String answer = client.readResponse();
        assertTrue(answer.startsWith("HTTP/1.1 200"), answer.substring(0, Math.min(400, answer.length())));
        assertArrayEquals(sha256(body), arrived.get(), "the simulator received the body byte for byte");
        await().atMost(Duration.ofSeconds(5)).until(() -> spoolFiles().isEmpty());
        assertEquals(0, held(p));
    }

    @Test
    void aClientThatHangsUpMidUploadLeavesNoSpoolFile() throws Exception {
        SimulatedDiscord d = discord();
        List<String> arrived = new CopyOnWriteArrayList<>();
        d.rest.observe((method, path, body, at) -> arrived.add(path));
        ProxyUnderTest p = proxy(d.apiUrl(), Map.of());
        byte[] body = multipart(20 * 1024 * 1024);
        RawClient client = raw(p);
        client.send("POST /api/v10/channels/34/messages HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                + "boundary=" + BOUNDARY + "\r\nContent-Length: " + body.length + "\r\n\r\n");
        sendSlowly(client, body, 3 * 1024 * 1024);
        await().atMost(Duration.ofSeconds(30)).until(() -> spoolFiles().size() == 1);
        client.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> spoolFiles().isEmpty());
        await().atMost(Duration.ofSeconds(5)).until(() -> held(p) == 0);
        assertEquals(200, p.send(p.request("/users/@me").GET().build()).statusCode(), "still serving");
        assertTrue(arrived.stream().noneMatch(a -> a.endsWith("/channels/34/messages")), arrived.toString());
    }

    @Test
    void anUploadBeyondWhatTheReplicaMayHoldIsRefusedBeforeItsBody() throws Exception {
        SimulatedDiscord d = discord();
        ProxyUnderTest p = proxy(d.apiUrl(), Map.of("REST_QUEUE_MAX_MB", "25"));
        String head = "POST /api/v10/channels/35/messages HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
                + "boundary=" + BOUNDARY + "\r\nContent-Length: " + 20 * 1024 * 1024 + "\r\n\r\n";
        RawClient first = raw(p);
        first.send(head);
        first.send(multipart(2 * 1024 * 1024), 0, 1024 * 1024);
        await().atMost(Duration.ofSeconds(10)).until(() -> heldBytes(p) == 20 * 1024 * 1024 && spoolFiles().size() == 1);
        // The announced 20 MB are held for the first upload from its start, so the second does not fit: refused at
        // once, before a byte of it is read or spooled.
        RawClient second = raw(p);
        second.send(head);
        String answer = second.readResponse();
        assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
        assertTrue(answer.contains("queue_full"), answer);
        assertEquals(1, spoolFiles().size(), "only the first upload is spooled");
        first.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> heldBytes(p) == 0 && spoolFiles().isEmpty());
    }

    private static double heldBytes(ProxyUnderTest p) {
        return p.registry.get("shardgate.rest.held.bytes").gauge().value();
    }

    private static final String BOUNDARY = "shardgate-upload-boundary";

    /** A message with three attachments of random bytes (Discord takes 10 MiB a file), {@code size} bytes in all. */
    private static byte[] multipart(int size) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(size);
        byte[] head = ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n"
                + "Content-Type: application/json\r\n\r\n{\"content\":\"big\",\"attachments\":[{\"id\":0,\"filename\":"
                + "\"a.bin\"},{\"id\":1,\"filename\":\"b.bin\"},{\"id\":2,\"filename\":\"c.bin\"}]}\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] tail = ("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        List<byte[]> fileHeads = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            fileHeads.add(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"files[" + i + "]\"; filename=\""
                    + (char) ('a' + i) + ".bin\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        }
        int overhead = head.length + tail.length + fileHeads.stream().mapToInt(h -> h.length + 2).sum();
        int left = size - overhead;
        Random random = new Random(42);
        out.writeBytes(head);
        for (int i = 0; i < 3; i++) {
            byte[] file = new byte[i < 2 ? left / 3 : left - 2 * (left / 3)];
            random.nextBytes(file);
            out.writeBytes(fileHeads.get(i));
            out.writeBytes(file);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes(tail);
        return out.toByteArray();
    }

    /** The first {@code length} bytes in 256 KiB pieces with a pause between them, like a slow uplink. */
    private static void sendSlowly(RawClient client, byte[] body, int length) {
        try {
            for (int at = 0; at < length; at += 256 * 1024) {
                client.send(body, at, Math.min(256 * 1024, length - at));
                Thread.sleep(10);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private List<Path> spoolFiles() throws IOException {
        try (Stream<Path> files = Files.list(spool)) {
            return files.toList();
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * An upstream that answers every request with the same bytes and records each request's head as it arrived
     * (the simulator's JDK server respells header names, so it cannot show that the proxy does not).
     */
    private static final class FakeDiscord implements AutoCloseable {
        final List<String> requests = new CopyOnWriteArrayList<>();
        private final ServerSocket server;
        private final Thread acceptor;

        FakeDiscord(String answer) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread.ofVirtual().start(() -> serve(s, answer));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        private void serve(Socket socket, String answer) {
            try (socket; InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
                while (true) {
                    StringBuilder head = new StringBuilder();
                    while (!head.toString().endsWith("\r\n\r\n")) {
                        int c = in.read();
                        if (c < 0) {
                            return;
                        }
                        head.append((char) c);
                    }
                    requests.add(head.toString());
                    out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
            } catch (IOException e) {
                // the proxy closed its connection
            }
        }

        URI apiUrl() {
            return URI.create("http://127.0.0.1:" + server.getLocalPort() + "/api/v10");
        }

        @Override
        public void close() throws IOException {
            server.close();
            acceptor.interrupt();
        }
    }
}
