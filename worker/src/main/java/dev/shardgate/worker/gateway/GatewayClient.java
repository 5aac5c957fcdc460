package dev.shardgate.worker.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardgate.protocol.Opcode;
import dev.shardgate.protocol.Snowflake;
import dev.shardgate.protocol.Subjects;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Subscription;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.LoggerFactory;

/**
 * Sends gateway commands through the proxy by NATS request-reply (CONTRACT.md): {@code {prefix}.gateway.info}
 * for the shard count, {@code {prefix}.gateway.send.{shard}} for one shard's connection. Commands for a guild go
 * to the guild's shard; presence goes to every shard; request guild members collects the requester's own
 * chunks from {@code {prefix}.chunks.{nonce}}. Thread-safe and blocking: call it from handler threads.
 */
public final class GatewayClient {
    private final Supplier<Connection> connection;
    private final Subjects subjects;
    private final Duration timeout;
    private final ObjectMapper json;
    /** Shared with the {@link #guarded} copies, so the shard count is asked once. */
    private final AtomicReference<GatewayInfo> info;
    private final BooleanSupplier guard;

    /**
     * @param connection the worker's NATS connection, looked up per call (it exists once the worker started)
     * @param json writes commands and reads answers
     */
    public GatewayClient(Supplier<Connection> connection, Subjects subjects, Duration timeout, ObjectMapper json) {
        this(connection, subjects, timeout, json, new AtomicReference<>(), () -> true);
    }

    private GatewayClient(Supplier<Connection> connection, Subjects subjects, Duration timeout, ObjectMapper json,
            AtomicReference<GatewayInfo> info, BooleanSupplier guard) {
        this.json = json;
        this.connection = connection;
        this.subjects = subjects;
        this.timeout = timeout;
        this.info = info;
        this.guard = guard;
    }

    /**
     * The same client that sends a command only while {@code guard} holds: an ordered-mode handler's, whose replica
     * may lose the event's shard while the handler runs.
     */
    public GatewayClient guarded(BooleanSupplier guard) {
        return new GatewayClient(connection, subjects, timeout, json, info, guard);
    }

    /** Asks a proxy for the shard count; the answer is remembered for guild routing. */
    public GatewayInfo info() throws GatewayException, InterruptedException {
        JsonNode reply = request(subjects.gatewayInfo(), "{}".getBytes(StandardCharsets.UTF_8), "gateway info");
        int count = reply.path("shard_count").asInt(0);
        if (count <= 0) {
            throw new GatewayException("gateway info answered without a positive shard_count: " + reply, false);
        }
        List<Integer> shards = new ArrayList<>();
        reply.path("shards").forEach(s -> shards.add(s.asInt()));
        GatewayInfo answer = new GatewayInfo(count, shards);
        info.set(answer);
        return answer;
    }

    /** Sends {@code {"op": op, "d": d}} to one shard's connection. */
    public void send(int shard, Opcode op, JsonNode d) throws GatewayException, InterruptedException {
        ObjectNode command = json.createObjectNode().put("op", op.code());
        command.set("d", d);
        byte[] body;
        try {
            body = json.writeValueAsBytes(command);
        } catch (IOException e) {
            throw new GatewayException("cannot serialise the command: " + e.getMessage(), false);
        }
        JsonNode reply = request(subjects.gatewaySend(shard), body, "op " + op.code() + " to shard " + shard);
        if (!reply.path("ok").asBoolean(false)) {
            throw new GatewayException("shard " + shard + " refused op " + op.code() + ": "
                    + reply.path("error").asText("(no error given)"), false);
        }
    }

    /** Sends a command to the shard that holds the guild. */
    public void sendToGuild(long guildId, Opcode op, JsonNode d) throws GatewayException, InterruptedException {
        send(Snowflake.shardFor(guildId, shardCount()), op, d);
    }

    /** Updates the presence on every shard; throws after trying them all if any refused. */
    public void updatePresence(JsonNode presence) throws GatewayException, InterruptedException {
        List<String> failures = new ArrayList<>();
        int count = shardCount();
        for (int shard = 0; shard < count; shard++) {
            try {
                send(shard, Opcode.PRESENCE_UPDATE, presence);
            } catch (GatewayException e) {
                failures.add(e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new GatewayException("presence update failed on " + failures.size() + " of " + count + " shards: "
                    + failures, true);
        }
    }

    /** Sets the bot's custom status ("Custom Status" activity, type 4) and shows it online, on every shard. */
    public void setCustomStatus(String text) throws GatewayException, InterruptedException {
        ObjectNode presence = json.createObjectNode().putNull("since").put("status", "online").put("afk", false);
        presence.putArray("activities").addObject().put("type", 4).put("name", "Custom Status").put("state", text);
        updatePresence(presence);
    }

    /** Every member of a guild (op 8 with an empty query and no limit; needs the GUILD_MEMBERS intent). */
    public MemberChunks requestGuildMembers(long guildId, Duration wait) throws GatewayException, InterruptedException {
        return requestGuildMembers(json.createObjectNode().put("guild_id", Long.toUnsignedString(guildId))
                .put("query", "").put("limit", 0), wait);
    }

    /**
     * Sends a request guild members (op 8) with a fresh nonce and returns the chunks that answer it.
     *
     * @param request the op 8 {@code d} without the nonce, e.g. {@code {"guild_id": "...", "query": "", "limit": 0}}
     */
    public MemberChunks requestGuildMembers(ObjectNode request, Duration wait)
            throws GatewayException, InterruptedException {
        long guildId;
        try {
            guildId = Snowflake.parse(request.path("guild_id").asText(null));
        } catch (IllegalArgumentException e) {
            throw new GatewayException("request guild members needs a guild_id: " + e.getMessage(), false);
        }
        String nonce = HexFormat.of().formatHex(longBytes(ThreadLocalRandom.current().nextLong()));
        ObjectNode d = request.deepCopy().put("nonce", nonce);
        Connection nats = connection.get();
        Subscription chunks = nats.subscribe(subjects.chunks(nonce));
        try {
            nats.flush(timeout); // the subscription must exist before the first chunk can arrive
            sendToGuild(guildId, Opcode.REQUEST_GUILD_MEMBERS, d);
            return collect(chunks, nonce, wait);
        } catch (TimeoutException e) {
            throw new GatewayException("NATS did not confirm the chunk subscription in " + timeout, true);
        } finally {
            chunks.unsubscribe();
        }
    }

    private MemberChunks collect(Subscription chunks, String nonce, Duration wait) throws InterruptedException {
        TreeMap<Integer, JsonNode> byIndex = new TreeMap<>();
        int expected = Integer.MAX_VALUE;
        Instant deadline = Instant.now().plus(wait);
        while (byIndex.size() < expected) {
            Duration left = Duration.between(Instant.now(), deadline);
            if (left.isNegative() || left.isZero()) {
                break;
            }
            Message m = chunks.nextMessage(left);
            if (m == null) {
                break;
            }
            try {
                JsonNode chunk = json.readTree(m.getData());
                expected = chunk.path("chunk_count").asInt(1);
                byIndex.put(chunk.path("chunk_index").asInt(byIndex.size()), chunk);
            } catch (IOException e) {
                LoggerFactory.getLogger(GatewayClient.class).warn(
                        "ignoring a member chunk that is not JSON on " + m.getSubject() + ": " + e.getMessage());
            }
        }
        return new MemberChunks(nonce, new ArrayList<>(byIndex.values()), byIndex.size() >= expected);
    }

    private int shardCount() throws GatewayException, InterruptedException {
        GatewayInfo known = info.get();
        return (known != null ? known : info()).shardCount();
    }

    private JsonNode request(String subject, byte[] body, String what) throws GatewayException, InterruptedException {
        if (!guard.getAsBoolean()) {
            throw new GatewayException(what + " not sent: this replica no longer holds the event's shard (another "
                    + "replica runs it now)", false);
        }
        Message reply;
        try {
            reply = connection.get().requestWithTimeout(subject, body, timeout).get(timeout.toMillis() + 1000,
                    TimeUnit.MILLISECONDS);
        } catch (CancellationException e) {
            // jnats cancels a request when the server answers "no responders"
            throw new GatewayException(what + ": no gateway proxy answers (no responders)", true);
        } catch (ExecutionException e) {
            throw noAnswer(what, e);
        } catch (TimeoutException e) {
            throw new GatewayException(what + ": no answer within " + timeout, true);
        } catch (IllegalStateException e) {
            throw new GatewayException(what + ": NATS connection unusable: " + e.getMessage(), true);
        }
        if (reply == null) {
            throw new GatewayException(what + ": no answer within " + timeout, true);
        }
        if (reply.isStatusMessage()) {
            throw new GatewayException(what + ": " + describe(reply), true);
        }
        try {
            return json.readTree(reply.getData());
        } catch (IOException e) {
            throw new GatewayException(what + ": the proxy's answer is not JSON: " + e.getMessage(), false);
        }
    }

    private static GatewayException noAnswer(String what, Exception e) {
        String text = String.valueOf(e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
        if (text.contains("503") || text.toLowerCase(Locale.ROOT).contains("no responders")) {
            return new GatewayException(what + ": no gateway proxy answers (no responders)", true);
        }
        return new GatewayException(what + ": " + text, true);
    }

    private static String describe(Message status) {
        return status.getStatus().getCode() == 503 ? "no gateway proxy answers (no responders)"
                : "status " + status.getStatus().getCode() + " " + status.getStatus().getMessage();
    }

    private static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >>> (8 * i));
        }
        return b;
    }
}
