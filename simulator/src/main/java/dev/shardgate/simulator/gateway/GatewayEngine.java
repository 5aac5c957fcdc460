package dev.shardgate.simulator.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.protocol.CloseAction;
import dev.shardgate.protocol.CloseCode;
import dev.shardgate.protocol.GatewayLimits;
import dev.shardgate.protocol.Intents;
import dev.shardgate.protocol.Opcode;
import dev.shardgate.protocol.Snowflake;
import dev.shardgate.simulator.events.EventFactory;
import dev.shardgate.simulator.events.GuildCatalog;
import dev.shardgate.simulator.events.SimEvent;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.lang.System.Logger.Level;
import java.util.concurrent.ThreadLocalRandom;
import org.java_websocket.WebSocket;

/**
 * Discord's gateway behaviour (discord-gateway.md): Hello, heartbeats, Identify with its concurrency buckets and
 * daily budget, READY and GUILD_CREATE, Resume with replay, the send limit, the close codes, the command
 * replies, and fault injection. Every method runs on the gateway loop thread, which owns all of this state;
 * {@link GatewayRecorder} is how other threads see what happened.
 */
final class GatewayEngine {
    private static final System.Logger LOG = System.getLogger(GatewayEngine.class.getName());
    private static final byte[] HEARTBEAT_ACK = ascii("{\"t\":null,\"s\":null,\"op\":11,\"d\":null}");
    private static final byte[] HEARTBEAT_REQUEST = ascii("{\"t\":null,\"s\":null,\"op\":1,\"d\":null}");
    private static final byte[] RECONNECT = ascii("{\"t\":null,\"s\":null,\"op\":7,\"d\":null}");
    private static final byte[] GARBAGE = ascii("<html>502 Bad Gateway</html> this is not JSON {");
    /**
     * Breaks either compressed stream: to an inflater it starts a deflate block of the reserved type 11 ("invalid
     * block type"), to a zstd decompressor a block header of the reserved type 3.
     */
    private static final byte[] CORRUPT_STREAM = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x00, 0x00, 0x00, (byte) 0xFF,
        (byte) 0xFF};
    private static final byte[] RESUMED_D = ascii("{\"_trace\":[\"[\\\"shardgate-sim\\\",{\\\"micros\\\":0}]\"]}");
    /** Discord closes the socket "a few seconds" after op 7 if the client keeps it (§11). */
    private static final Duration RECONNECT_GRACE = Duration.ofSeconds(5);
    /** Requests for all of a guild's members: one per guild per 30 s (§15). */
    private static final Duration MEMBER_REQUEST_WINDOW = Duration.ofSeconds(30);
    private static final int MAX_NONCE_BYTES = 32;

    private final GatewaySettings settings;
    private final GatewayRecorder recorder;
    private final SessionStartBudget budget;
    private final IdentifyLimiter identifyLimiter;
    private final ShardConnections shardConnections;
    private final EventFactory events;
    private final ObjectMapper json = new ObjectMapper();
    private final Map<WebSocket, Connection> connections = new HashMap<>();
    /** Sessions that can still receive events or be resumed, by id. */
    private final Map<String, Session> sessions = new LinkedHashMap<>();
    private final Map<String, Instant> lastAllMembersRequest = new HashMap<>();
    private String resumeGatewayUrl;
    private boolean tokenReset;
    private long nextConnectionId;

    GatewayEngine(GatewaySettings settings, GatewayRecorder recorder, SessionStartBudget budget, EventFactory events) {
        this.settings = settings;
        this.recorder = recorder;
        this.budget = budget;
        this.events = events;
        this.identifyLimiter = new IdentifyLimiter(settings.maxConcurrency(), settings.identifyWindow());
        this.shardConnections = recorder.shardConnections();
    }

    void resumeGatewayUrl(String url) {
        resumeGatewayUrl = url;
    }

    private Instant now() {
        return settings.clock().instant();
    }

    // ---- websocket callbacks, handed over by GatewayServer ----

    void onOpen(WebSocket socket, Endpoint endpoint, String resourceDescriptor) {
        GatewayQuery query = GatewayQuery.parse(resourceDescriptor);
        Connection c = new Connection(nextConnectionId++, socket, endpoint,
                query.supportedCompress() ? TransportEncoder.forCompress(query.compress(), settings.zlibSplitAbove())
                        : null,
                new SendRateLimiter(settings.clock(), GatewayLimits.SEND_LIMIT, GatewayLimits.SEND_WINDOW), recorder);
        connections.put(socket, c);
        recorder.connectionOpened(query.compress());
        if (!query.supportedVersion()) {
            closeWith(c, CloseCode.INVALID_API_VERSION.code(), "Invalid API version");
        } else if (!"json".equals(query.encoding())) {
            closeWith(c, CloseCode.DECODE_ERROR.code(), "the simulator speaks encoding=json only");
        } else if (!query.supportedCompress()) {
            closeWith(c, CloseCode.DECODE_ERROR.code(), "compress must be zlib-stream or zstd-stream");
        } else {
            c.heartbeatDeadline(now().plus(settings.heartbeatTimeout()));
            c.send(ascii("{\"t\":null,\"s\":null,\"op\":10,\"d\":{\"heartbeat_interval\":"
                    + settings.heartbeatInterval().toMillis() + "}}"));
        }
    }

    /**
     * A payload from a client. {@code receivedAt} is when the websocket server read it, which is what the records
     * and the identify buckets go by: the loop may get to it later when it is busy sending.
     */
    void onMessage(WebSocket socket, byte[] payload, Instant receivedAt) {
        Connection c = connections.get(socket);
        if (c == null || c.state() == ConnectionState.CLOSED) {
            return;
        }
        boolean oversized = payload.length > GatewayLimits.MAX_PAYLOAD_BYTES;
        JsonNode node = oversized ? null : parse(payload);
        int op = node != null && node.path("op").isInt() ? node.get("op").asInt() : -1;
        recorder.command(new CommandRecord(receivedAt, c.shardId(), op,
                new String(payload, StandardCharsets.UTF_8)));
        if (!c.sendLimit().record()) {
            closeWith(c, CloseCode.RATE_LIMITED.code(), "You are being rate limited.");
        } else if (oversized) {
            closeWith(c, CloseCode.DECODE_ERROR.code(), "Payload over 4096 bytes");
        } else if (node == null || !node.isObject() || op < 0) {
            closeWith(c, CloseCode.DECODE_ERROR.code(), "Error while decoding payload.");
        } else {
            handle(c, op, node.get("d"), receivedAt);
        }
    }

    void onCloseFrame(WebSocket socket, int code) {
        Connection c = connections.get(socket);
        if (c != null) {
            c.clientCloseCode(code);
            recorder.closeReceived(code);
        }
    }

    void onClose(WebSocket socket, int code, boolean remote) {
        Connection c = connections.remove(socket);
        if (c == null) {
            return;
        }
        recorder.connectionClosed();
        boolean byClient = remote || c.clientCloseCode() != 0;
        if (c.clientCloseCode() != 0) {
            code = c.clientCloseCode();
        }
        Session s = c.session();
        if (s != null && s.connection() == c && s.alive()) {
            if (byClient && (code == CloseCode.NORMAL_CLOSURE || code == 1001)) {
                endSession(s, SessionState.INVALIDATED, "client closed " + code);
            } else {
                s.detach(now());
            }
        }
        c.closed((byClient ? "client" : "server") + " closed " + code);
        if (c.attributedShard() >= 0) {
            shardConnections.detach(c.attributedShard());
        }
    }

    /** Periodic: heartbeat timeouts, connections kept after op 7, sessions past the resume window. */
    void sweep() {
        Instant now = now();
        for (Connection c : List.copyOf(connections.values())) {
            if (c.state() == ConnectionState.CLOSED) {
                continue;
            }
            if (c.heartbeatDeadline() != null && now.isAfter(c.heartbeatDeadline())) {
                closeWith(c, CloseCode.SESSION_TIMED_OUT.code(), "Session timed out");
            } else if (c.reconnectDeadline() != null && now.isAfter(c.reconnectDeadline())) {
                drop(c);
            }
        }
        for (Session s : List.copyOf(sessions.values())) {
            if (s.state() == SessionState.DISCONNECTED
                    && now.isAfter(s.disconnectedAt().plus(settings.resumeWindow()))) {
                endSession(s, SessionState.EXPIRED, "not resumed within " + settings.resumeWindow());
            }
        }
    }

    // ---- client payloads ----

    private void handle(Connection c, int op, JsonNode d, Instant receivedAt) {
        Opcode opcode = Opcode.of(op).filter(GatewayEngine::clientMaySend).orElse(null);
        if (opcode == null) {
            closeWith(c, CloseCode.UNKNOWN_OPCODE.code(), "Unknown opcode.");
            return;
        }
        switch (opcode) {
            case HEARTBEAT -> heartbeat(c);
            case IDENTIFY, RESUME -> {
                if (c.state() == ConnectionState.AUTHENTICATED) {
                    closeWith(c, CloseCode.ALREADY_AUTHENTICATED.code(), "Already authenticated.");
                } else if (d == null || !d.isObject()) {
                    closeWith(c, CloseCode.UNKNOWN_OPCODE.code(), "Invalid payload for op " + op);
                } else if (opcode == Opcode.IDENTIFY) {
                    identify(c, d, receivedAt);
                } else {
                    resume(c, d, receivedAt);
                }
            }
            default -> {
                if (c.state() != ConnectionState.AUTHENTICATED) {
                    closeWith(c, CloseCode.NOT_AUTHENTICATED.code(), "Not authenticated.");
                } else if (d == null || !d.isObject()) {
                    closeWith(c, CloseCode.UNKNOWN_OPCODE.code(), "Invalid payload for op " + op);
                } else {
                    command(c, opcode, d);
                }
            }
        }
    }

    private static boolean clientMaySend(Opcode op) {
        return switch (op) {
            case HEARTBEAT, IDENTIFY, PRESENCE_UPDATE, VOICE_STATE_UPDATE, RESUME, REQUEST_GUILD_MEMBERS,
                 REQUEST_SOUNDBOARD_SOUNDS, REQUEST_CHANNEL_INFO -> true;
            default -> false;
        };
    }

    private void heartbeat(Connection c) {
        c.heartbeatDeadline(now().plus(settings.heartbeatTimeout()));
        if (!c.zombie()) {
            c.send(HEARTBEAT_ACK);
        }
    }

    /** Identify's {@code shard}: {@code [id, count]}, {@code [0, 1]} when absent, or null when malformed (4010). */
    private static int[] shardOf(JsonNode d) {
        JsonNode shard = d.get("shard");
        if (shard == null || shard.isNull()) {
            return new int[] {0, 1};
        }
        if (!shard.isArray() || shard.size() != 2 || !shard.get(0).isInt() || !shard.get(1).isInt()) {
            return null;
        }
        int id = shard.get(0).asInt();
        int count = shard.get(1).asInt();
        return count >= 1 && id >= 0 && id < count ? new int[] {id, count} : null;
    }

    /** The close code an Identify earns before pacing and budget are considered, or 0 if it passes. */
    private int identifyRejection(JsonNode d, int[] shard, long intents) {
        if (!tokenValid(d.path("token").asText(null))) {
            return CloseCode.AUTHENTICATION_FAILED.code();
        } else if (shard == null) {
            return CloseCode.INVALID_SHARD.code();
        } else if (intents < 0 || (intents & ~(long) Intents.ALL_DEFINED) != 0) {
            return CloseCode.INVALID_INTENTS.code();
        } else if ((intents & Intents.PRIVILEGED & ~settings.enabledPrivilegedIntents()) != 0) {
            return CloseCode.DISALLOWED_INTENTS.code();
        }
        return 0;
    }

    private void identify(Connection c, JsonNode d, Instant at) {
        int[] shard = shardOf(d);
        int shardId = shard == null ? -1 : shard[0];
        int shardCount = shard == null ? -1 : shard[1];
        int bucket = shard == null ? -1 : identifyLimiter.bucketOf(shardId);
        JsonNode intentsNode = d.get("intents");
        long intents = intentsNode != null && intentsNode.isIntegralNumber() && intentsNode.canConvertToLong()
                ? intentsNode.asLong() : -1;
        int rejection = identifyRejection(d, shard, intents);
        if (rejection != 0) {
            recorder.identify(new IdentifyRecord(at, shardId, shardCount, bucket, IdentifyRecord.Outcome.REJECTED));
            closeWith(c, rejection, CloseCode.describe(rejection));
            return;
        }
        // Valid from here on: whatever pacing and the budget say, this connection is now one for this shard.
        attribute(c, shardId);
        if (!identifyLimiter.tryAcquire(shardId, at)) {
            recorder.identify(new IdentifyRecord(at, shardId, shardCount, bucket,
                    IdentifyRecord.Outcome.CONCURRENCY_LIMITED));
            c.send(invalidSession(false));
            return;
        }
        if (!budget.tryTake()) {
            recorder.identify(new IdentifyRecord(at, shardId, shardCount, bucket, IdentifyRecord.Outcome.TOKEN_RESET));
            resetToken();
            return;
        }
        recorder.identify(new IdentifyRecord(at, shardId, shardCount, bucket, IdentifyRecord.Outcome.ACCEPTED));
        Session s = new Session(HexFormat.of().formatHex(randomBytes(16)), shardId, shardCount, (int) intents,
                settings.replayCapacity(), c, recorder);
        sessions.put(s.id(), s);
        recorder.session(s);
        c.authenticated(s);
        long[] guilds = GuildCatalog.guildIds(shardId, shardCount, settings.guildsPerShard());
        dispatch(s, "READY", events.ready(s.id(), shardId, shardCount, resumeGatewayUrl, guilds));
        for (int i = 0; i < guilds.length; i++) {
            dispatch(s, "GUILD_CREATE", events.guildCreate(guilds[i], i));
        }
    }

    private void resume(Connection c, JsonNode d, Instant at) {
        String sessionId = d.path("session_id").asText("");
        JsonNode seqNode = d.get("seq");
        long seq = seqNode == null || seqNode.isNull() ? 0 : seqNode.canConvertToLong() ? seqNode.asLong() : -1;
        Session s = sessions.get(sessionId);
        int shardId = s == null ? -1 : s.shardId();
        if (!tokenValid(d.path("token").asText(null))) {
            recorder.resume(new ResumeRecord(at, shardId, sessionId, seq, c.endpoint(),
                    ResumeRecord.Outcome.AUTHENTICATION_FAILED, 0));
            closeWith(c, CloseCode.AUTHENTICATION_FAILED.code(), "Authentication failed.");
            return;
        }
        if (s != null && s.alive()) {
            // A resume of a live session is a claim on its shard, whatever its seq turns out to be.
            attribute(c, shardId);
        }
        if (s == null || !s.alive() || (seq >= 0 && seq <= s.seq() && !s.canReplayAfter(seq))) {
            recorder.resume(new ResumeRecord(at, shardId, sessionId, seq, c.endpoint(),
                    ResumeRecord.Outcome.INVALID_SESSION, 0));
            if (s != null && s.alive()) {
                endSession(s, SessionState.INVALIDATED, "resume from a seq no longer kept");
            }
            c.send(invalidSession(false));
            return;
        }
        if (seq < 0 || seq > s.seq()) {
            recorder.resume(new ResumeRecord(at, shardId, sessionId, seq, c.endpoint(),
                    ResumeRecord.Outcome.INVALID_SEQ, 0));
            closeWith(c, CloseCode.INVALID_SEQ.code(), "Invalid seq.");
            return;
        }
        Connection previous = s.connection();
        if (previous != null) {
            previous.unauthenticated("session " + s.id() + " resumed on connection " + c.id());
            closeWith(previous, CloseCode.UNKNOWN_ERROR.code(), "Session resumed elsewhere");
        }
        s.attach(c);
        c.authenticated(s);
        List<Session.Sent> missed = s.replayAfter(seq);
        for (Session.Sent sent : missed) {
            c.send(sent.frame());
            recorder.dispatchSent();
        }
        recorder.resume(new ResumeRecord(at, shardId, sessionId, seq, c.endpoint(), ResumeRecord.Outcome.RESUMED,
                missed.size()));
        dispatch(s, "RESUMED", RESUMED_D);
    }

    /**
     * Counts the connection toward the shard it claimed (ShardConnections); a later claim for another shard on
     * the same socket (after op 9) moves it.
     */
    private void attribute(Connection c, int shardId) {
        int previous = c.attributedShard();
        if (previous == shardId) {
            return;
        }
        if (previous >= 0) {
            shardConnections.detach(previous);
        }
        shardConnections.attach(shardId);
        c.attributedShard(shardId);
    }

    private boolean tokenValid(String presented) {
        if (presented == null || tokenReset) {
            return false;
        }
        String bare = presented.startsWith("Bot ") ? presented.substring(4) : presented;
        return java.security.MessageDigest.isEqual(bare.getBytes(StandardCharsets.UTF_8),
                settings.token().getBytes(StandardCharsets.UTF_8));
    }

    /** §8.3: the budget is gone, so every session ends and the token stops working. */
    private void resetToken() {
        LOG.log(Level.WARNING, "session start budget exhausted: ending every session and resetting the token");
        tokenReset = true;
        recorder.tokenWasReset();
        for (Session s : List.copyOf(sessions.values())) {
            endSession(s, SessionState.INVALIDATED, "token reset");
        }
        for (Connection c : List.copyOf(connections.values())) {
            closeWith(c, CloseCode.AUTHENTICATION_FAILED.code(), "Authentication failed.");
        }
    }

    private void command(Connection c, Opcode op, JsonNode d) {
        Session s = c.session();
        switch (op) {
            case PRESENCE_UPDATE -> {
                // Accepted: nothing observable follows for the bot itself.
            }
            case VOICE_STATE_UPDATE -> {
                String guildId = snowflake(d.get("guild_id"));
                JsonNode channel = d.get("channel_id");
                String channelId = channel == null || channel.isNull() ? null : snowflake(channel);
                if (guildId == null || (channel != null && !channel.isNull() && channelId == null)) {
                    closeWith(c, CloseCode.UNKNOWN_OPCODE.code(), "Invalid voice state update");
                    return;
                }
                dispatch(s, "VOICE_STATE_UPDATE", events.voiceStateUpdate(guildId, channelId,
                        d.path("self_mute").asBoolean(false), d.path("self_deaf").asBoolean(false), s.id()));
                if (channelId != null) {
                    dispatch(s, "VOICE_SERVER_UPDATE", events.voiceServerUpdate(guildId));
                }
            }
            case REQUEST_GUILD_MEMBERS -> requestGuildMembers(c, s, d);
            case REQUEST_SOUNDBOARD_SOUNDS -> {
                JsonNode ids = d.get("guild_ids");
                List<String> guildIds = new ArrayList<>();
                if (ids != null && ids.isArray()) {
                    ids.forEach(id -> guildIds.add(snowflake(id)));
                }
                if (guildIds.isEmpty() || guildIds.contains(null)) {
                    closeWith(c, CloseCode.UNKNOWN_OPCODE.code(), "Invalid soundboard request");
                    return;
                }
                guildIds.forEach(g -> dispatch(s, "SOUNDBOARD_SOUNDS", events.soundboardSounds(g)));
            }
            case REQUEST_CHANNEL_INFO -> {
                String guildId = snowflake(d.get("guild_id"));
                if (guildId == null) {
                    closeWith(c, CloseCode.UNKNOWN_OPCODE.code(), "Invalid channel info request");
                    return;
                }
                dispatch(s, "CHANNEL_INFO", events.channelInfo(guildId));
            }
            default -> closeWith(c, CloseCode.UNKNOWN_OPCODE.code(), "Unknown opcode.");
        }
    }

    /** Op 8 (§16): member chunks echoing the nonce; all-members requests limited per guild (§15). */
    private void requestGuildMembers(Connection c, Session s, JsonNode d) {
        String guildId = snowflake(d.get("guild_id"));
        if (guildId == null) {
            closeWith(c, CloseCode.UNKNOWN_OPCODE.code(), "Invalid request guild members");
            return;
        }
        JsonNode nonceNode = d.get("nonce");
        String nonce = nonceNode != null && nonceNode.isTextual()
                && nonceNode.asText().getBytes(StandardCharsets.UTF_8).length <= MAX_NONCE_BYTES
                ? nonceNode.asText() : null;
        String query = d.path("query").isTextual() ? d.get("query").asText() : null;
        JsonNode userIds = d.get("user_ids");
        int limit = d.path("limit").asInt(0);
        int memberCount = events.poolMembers(Snowflake.parse(guildId));
        if (userIds == null && "".equals(query) && limit == 0) {
            Instant now = now();
            Instant last = lastAllMembersRequest.get(guildId);
            if (last != null && now.isBefore(last.plus(MEMBER_REQUEST_WINDOW))) {
                double retryAfter = Duration.between(now, last.plus(MEMBER_REQUEST_WINDOW)).toMillis() / 1000.0;
                dispatch(s, "RATE_LIMITED", events.rateLimited(Opcode.REQUEST_GUILD_MEMBERS.code(), retryAfter,
                        guildId, nonce));
                return;
            }
            lastAllMembersRequest.put(guildId, now);
        }
        // The bot is a member of its every guild, so it is found like any other member.
        String botId = Long.toString(EventFactory.BOT_USER_ID);
        boolean botFound = false;
        List<Integer> found = new ArrayList<>();
        List<String> notFound = new ArrayList<>();
        if (userIds != null) {
            List<String> wanted = new ArrayList<>();
            if (userIds.isArray()) {
                userIds.forEach(u -> wanted.add(u.asText()));
            } else {
                wanted.add(userIds.asText());
            }
            for (String id : wanted) {
                int index = indexOfMember(id, memberCount);
                if (id.equals(botId)) {
                    botFound = true;
                } else if (index >= 0) {
                    found.add(index);
                } else {
                    notFound.add(id);
                }
            }
        } else if (query != null) {
            botFound = EventFactory.botUsername().startsWith(query);
            for (int i = 0; i < memberCount && (limit == 0 || found.size() + (botFound ? 1 : 0) < limit); i++) {
                if (EventFactory.username(i).startsWith(query)) {
                    found.add(i);
                }
            }
        } else {
            closeWith(c, CloseCode.UNKNOWN_OPCODE.code(), "Request guild members needs query or user_ids");
            return;
        }
        dispatch(s, "GUILD_MEMBERS_CHUNK", events.guildMembersChunk(guildId, botFound,
                found.stream().mapToInt(Integer::intValue).toArray(), notFound.toArray(String[]::new), nonce));
    }

    private static int indexOfMember(String userId, int memberCount) {
        for (int i = 0; i < memberCount; i++) {
            if (EventFactory.userId(i).equals(userId)) {
                return i;
            }
        }
        return -1;
    }

    // ---- dispatches ----

    /** Gives the dispatch the session's next seq, records it, and sends it if a connection is attached. */
    private void dispatch(Session s, String type, byte[] d) {
        Session.Sent sent = s.append(seq -> frame(type, seq, d));
        recorder.dispatch(new DispatchRecord(now(), s.shardId(), s.id(), sent.seq(), type, d));
        Connection c = s.connection();
        if (c != null && c.state() == ConnectionState.AUTHENTICATED) {
            c.sendDispatch(sent.frame());
            recorder.dispatchSent();
        }
    }

    /** A generated event goes to every live session whose shard owns its guild and whose intents want it. */
    void deliver(SimEvent e) {
        for (Session s : List.copyOf(sessions.values())) {
            int owner = e.guildId() == 0 ? 0 : Snowflake.shardFor(e.guildId(), s.shardCount());
            if (owner != s.shardId() || (e.intent() != 0 && (s.intents() & e.intent()) == 0)) {
                continue;
            }
            boolean content = (s.intents() & Intents.MESSAGE_CONTENT) != 0 || e.dWithoutContent() == null;
            dispatch(s, e.type(), content ? e.d() : e.dWithoutContent());
        }
    }

    /** A test's dispatch goes to every live session of the shard, whatever its intents. */
    int dispatchToShard(int shardId, String type, byte[] d) {
        int n = 0;
        for (Session s : List.copyOf(sessions.values())) {
            if (s.shardId() == shardId) {
                dispatch(s, type, d);
                n++;
            }
        }
        return n;
    }

    private static byte[] frame(String type, long seq, byte[] d) {
        // Key order differs from the docs' examples on purpose: clients must not rely on it (§4).
        byte[] head = ascii("{\"t\":\"" + type + "\",\"s\":" + seq + ",\"op\":0,\"d\":");
        byte[] out = new byte[head.length + d.length + 1];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(d, 0, out, head.length, d.length);
        out[out.length - 1] = '}';
        return out;
    }

    // ---- faults ----

    /** Injects a fault into the shard's connections (or sessions); returns how many it touched. */
    int inject(int shardId, Fault fault, int closeCode) {
        if (fault == Fault.INVALIDATE_SESSION) {
            int n = 0;
            for (Session s : List.copyOf(sessions.values())) {
                if (s.shardId() == shardId) {
                    endSession(s, SessionState.INVALIDATED, "invalidated by fault injection");
                    n++;
                }
            }
            return n;
        }
        List<Connection> targets = connections.values().stream()
                .filter(c -> c.state() == ConnectionState.AUTHENTICATED && c.shardId() == shardId).toList();
        for (Connection c : targets) {
            LOG.log(Level.INFO, "fault {0} on shard {1} (connection {2})", fault, Integer.toString(shardId),
                    Long.toString(c.id()));
            switch (fault) {
                case ZOMBIE -> c.zombie(true);
                case DROP -> drop(c);
                case CLOSE -> closeWith(c, closeCode, "closed by the simulator");
                case GARBAGE -> c.send(GARBAGE);
                case CORRUPT_ZLIB -> {
                    if (c.compressed()) {
                        c.sendRaw(CORRUPT_STREAM);
                    } else {
                        c.send(GARBAGE);
                    }
                }
                case RECONNECT -> {
                    c.send(RECONNECT);
                    c.reconnectDeadline(now().plus(RECONNECT_GRACE));
                }
                case INVALID_SESSION_RESUMABLE -> {
                    c.send(invalidSession(true));
                    if (c.session().alive()) {
                        c.session().detach(now());
                    }
                    c.unauthenticated("op 9 true");
                }
                case INVALID_SESSION -> {
                    c.send(invalidSession(false));
                    endSession(c.session(), SessionState.INVALIDATED, "op 9 false");
                    c.unauthenticated("op 9 false");
                }
                case STALL -> c.stalled(true);
                case MUTE -> c.muted(true);
                case REQUEST_HEARTBEAT -> c.send(HEARTBEAT_REQUEST);
                case HEAL -> {
                    c.zombie(false);
                    c.stalled(false);
                    c.muted(false);
                }
                case INVALIDATE_SESSION -> throw new IllegalStateException("handled above");
            }
        }
        return targets.size();
    }

    // ---- closing ----

    /**
     * Closes with a code. The session survives codes after which Discord says to resume; the others (4003,
     * 4004, 4007, 4009, 4010-4014) end it, so a later resume is answered with op 9.
     */
    private void closeWith(Connection c, int code, String reason) {
        if (c.state() == ConnectionState.CLOSED) {
            return;
        }
        recorder.closeSent(code);
        Session s = c.session();
        if (s != null && s.connection() == c && s.alive()) {
            if (CloseCode.actionFor(code) == CloseAction.RESUME) {
                s.detach(now());
            } else {
                endSession(s, SessionState.INVALIDATED, "server closed " + code);
            }
        }
        c.closed("server closed " + CloseCode.describe(code));
        c.close(code, reason);
    }

    /** Drops the TCP connection with no close frame; the session stays resumable. */
    private void drop(Connection c) {
        Session s = c.session();
        if (s != null && s.connection() == c && s.alive()) {
            s.detach(now());
        }
        c.closed("dropped");
        c.drop();
    }

    private void endSession(Session s, SessionState terminal, String why) {
        if (s.alive()) {
            s.end(terminal, why);
        }
        sessions.remove(s.id());
    }

    /** Closes every connection with 1001, as a gateway node going away would; used on shutdown. */
    void closeAll() {
        for (Connection c : List.copyOf(connections.values())) {
            closeWith(c, 1001, "simulator shutting down");
        }
    }

    private JsonNode parse(byte[] payload) {
        try {
            return json.readTree(payload);
        } catch (IOException e) {
            return null;
        }
    }

    /** A snowflake given as a string (or number), or null when it is not one. */
    private static String snowflake(JsonNode node) {
        if (node == null || !(node.isTextual() || node.isIntegralNumber())) {
            return null;
        }
        try {
            return Long.toUnsignedString(Snowflake.parse(node.asText()));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static byte[] invalidSession(boolean resumable) {
        return ascii("{\"t\":null,\"s\":null,\"op\":9,\"d\":" + resumable + "}");
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
