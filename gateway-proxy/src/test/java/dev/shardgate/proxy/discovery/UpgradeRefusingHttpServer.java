package dev.shardgate.proxy.discovery;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A plain-http server like some REST proxies in front of Discord: any request carrying an {@code Upgrade} header
 * (the JDK client's {@code h2c} attempt) gets 400, any other gets 200 with a fixed JSON body. It reads the request
 * head off a raw socket because {@code com.sun.net.httpserver} does not reliably show {@code Upgrade}.
 *
 * <p>Threads: one daemon thread accepts and answers connections one at a time; {@link #requestHeads()} may be read
 * from any thread.
 */
final class UpgradeRefusingHttpServer implements AutoCloseable {
    private static final int MAX_HEAD_BYTES = 16 * 1024;

    private final ServerSocket socket;
    private final byte[] okBody;
    private final List<String> requestHeads = new CopyOnWriteArrayList<>();

    private UpgradeRefusingHttpServer(ServerSocket socket, byte[] okBody) {
        this.socket = socket;
        this.okBody = okBody;
    }

    static UpgradeRefusingHttpServer start(String okBody) throws IOException {
        UpgradeRefusingHttpServer server = new UpgradeRefusingHttpServer(
                new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), okBody.getBytes(StandardCharsets.UTF_8));
        Thread.ofPlatform().daemon().name("upgrade-refusing-http").start(server::serve);
        return server;
    }

    /** {@code http://127.0.0.1:PORT}. */
    String url() {
        return "http://127.0.0.1:" + socket.getLocalPort();
    }

    /** Every request head received (request line and headers), in order. */
    List<String> requestHeads() {
        return List.copyOf(requestHeads);
    }

    private void serve() {
        while (!socket.isClosed()) {
            try (Socket client = socket.accept()) {
                answer(client);
            } catch (SocketException closed) {
                return;
            } catch (IOException e) {
                requestHeads.add("unreadable request: " + e);
            }
        }
    }

    private void answer(Socket client) throws IOException {
        String head = readHead(client.getInputStream());
        requestHeads.add(head);
        boolean upgrade = head.lines().skip(1)
                .anyMatch(line -> line.toLowerCase(Locale.ROOT).startsWith("upgrade:"));
        byte[] body = upgrade ? "{\"message\":\"upgrade not supported\"}".getBytes(StandardCharsets.UTF_8) : okBody;
        String status = upgrade ? "400 Bad Request" : "200 OK";
        OutputStream out = client.getOutputStream();
        out.write(("HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }

    /** Reads up to and including the blank line that ends the head; GET requests carry no body. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < end.length) {
            int b = in.read();
            if (b < 0 || head.size() >= MAX_HEAD_BYTES) {
                throw new IOException("request head incomplete after " + head.size() + " bytes");
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
