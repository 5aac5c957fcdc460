package dev.shardgate.simulator;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;

/**
 * A plain gateway client for tests: Java-WebSocket's client plus its own zlib-stream inflater or zstd-stream
 * decompression context (zstd-jni's, not the proxy's code). It records every payload (parsed), every raw binary
 * message, decoding errors and the close it got, and sends what the test says.
 */
public final class GatewayTestClient extends WebSocketClient {
    public static final Duration WAIT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Inflater inflater = new Inflater();
    /** Set for compress=zstd-stream: then every binary message is one flushed part of a single zstd frame. */
    private final ZstdDecompressCtx zstd;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final LinkedBlockingQueue<JsonNode> payloads = new LinkedBlockingQueue<>();
    public final List<JsonNode> all = new CopyOnWriteArrayList<>();
    public final List<byte[]> binaryMessages = new CopyOnWriteArrayList<>();
    public final List<String> textMessages = new CopyOnWriteArrayList<>();
    public final List<String> decodeErrors = new CopyOnWriteArrayList<>();
    public volatile int closeCode = -1;
    public volatile boolean closedRemotely;

    private GatewayTestClient(URI uri) {
        super(uri);
        zstd = uri.getQuery().contains("compress=zstd-stream") ? new ZstdDecompressCtx() : null;
        setConnectionLostTimeout(0);
    }

    /** Connects to {@code baseUrl} with the given query (e.g. {@code v=10&encoding=json&compress=zlib-stream}). */
    public static GatewayTestClient connect(String baseUrl, String query) throws InterruptedException {
        GatewayTestClient c = new GatewayTestClient(URI.create(baseUrl + "/?" + query));
        // A server that closes right after the handshake (4012) is a connection that happened.
        if (!c.connectBlocking(20, TimeUnit.SECONDS) && c.closeCode == -1) {
            throw new IllegalStateException("could not connect to " + baseUrl);
        }
        return c;
    }

    public static GatewayTestClient zlib(String baseUrl) throws InterruptedException {
        return connect(baseUrl, "v=10&encoding=json&compress=zlib-stream");
    }

    public static GatewayTestClient zstd(String baseUrl) throws InterruptedException {
        return connect(baseUrl, "v=10&encoding=json&compress=zstd-stream");
    }

    public static GatewayTestClient plain(String baseUrl) throws InterruptedException {
        return connect(baseUrl, "v=10&encoding=json");
    }

    @Override
    public void onOpen(ServerHandshake handshake) {
    }

    @Override
    public void onMessage(String message) {
        textMessages.add(message);
        accept(message.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void onMessage(ByteBuffer bytes) {
        byte[] msg = new byte[bytes.remaining()];
        bytes.get(msg);
        binaryMessages.add(msg);
        if (zstd != null) {
            decompressZstd(msg);
            return;
        }
        pending.write(msg, 0, msg.length);
        int n = msg.length;
        if (n < 4 || msg[n - 4] != 0 || msg[n - 3] != 0 || msg[n - 2] != (byte) 0xFF || msg[n - 1] != (byte) 0xFF) {
            return;
        }
        inflater.setInput(pending.toByteArray());
        pending.reset();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        try {
            int k;
            while ((k = inflater.inflate(chunk)) > 0 || !inflater.needsInput()) {
                if (k == 0) {
                    throw new DataFormatException("stalled zlib stream");
                }
                out.write(chunk, 0, k);
            }
            accept(out.toByteArray());
        } catch (DataFormatException e) {
            decodeErrors.add("zlib: " + e.getMessage());
        }
    }

    private void decompressZstd(byte[] msg) {
        ByteBuffer src = ByteBuffer.allocateDirect(msg.length).put(msg).flip();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer dst = ByteBuffer.allocateDirect(64 * 1024);
        try {
            do {
                dst.clear();
                zstd.decompressDirectByteBufferStream(dst, src);
                dst.flip();
                byte[] chunk = new byte[dst.remaining()];
                dst.get(chunk);
                out.write(chunk, 0, chunk.length);
            } while (src.hasRemaining() || dst.limit() == dst.capacity());
            accept(out.toByteArray());
        } catch (ZstdException e) {
            decodeErrors.add("zstd: " + e.getMessage());
        }
    }

    private void accept(byte[] payload) {
        try {
            JsonNode node = JSON.readTree(payload);
            all.add(node);
            payloads.add(node);
        } catch (java.io.IOException e) {
            decodeErrors.add("json: " + new String(payload, StandardCharsets.UTF_8));
        }
    }

    @Override
    public void onClose(int code, String reason, boolean remote) {
        closedRemotely = remote;
        closeCode = code;
        if (zstd != null) {
            zstd.close(); // Java-WebSocket calls this on the read thread, after the last onMessage
        }
    }

    @Override
    public void onError(Exception ex) {
    }

    /** The next payload received, waiting up to {@link #WAIT}. */
    public JsonNode next() throws InterruptedException {
        JsonNode n = payloads.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (n == null) {
            throw new AssertionError("no payload within " + WAIT + " (close code " + closeCode + ")");
        }
        return n;
    }

    /** Skips payloads until one with this op (and, for dispatches, this t) arrives. */
    public JsonNode next(int op, String type) throws InterruptedException {
        while (true) {
            JsonNode n = next();
            if (n.path("op").asInt() == op && (type == null || type.equals(n.path("t").asText()))) {
                return n;
            }
        }
    }

    public JsonNode nextDispatch(String type) throws InterruptedException {
        return next(0, type);
    }

    public void sendJson(String json) {
        send(json);
    }

    public void identify(String token, int shard, int shards, int intents) {
        send("{\"op\":2,\"d\":{\"token\":\"" + token + "\",\"intents\":" + intents
                + ",\"properties\":{\"os\":\"linux\",\"browser\":\"test\",\"device\":\"test\"},\"shard\":["
                + shard + "," + shards + "]}}");
    }

    /** Identifies and waits for READY; returns it. */
    public JsonNode identifyReady(String token, int shard, int shards) throws InterruptedException {
        next(10, null);
        identify(token, shard, shards, 513);
        return nextDispatch("READY");
    }

    public void resume(String token, String sessionId, long seq) {
        send("{\"op\":6,\"d\":{\"token\":\"" + token + "\",\"session_id\":\"" + sessionId + "\",\"seq\":" + seq + "}}");
    }

    /** Waits until the server closed the connection; returns its close code. */
    public int awaitClose() {
        await().atMost(WAIT).until(() -> closeCode != -1);
        return closeCode;
    }
}
