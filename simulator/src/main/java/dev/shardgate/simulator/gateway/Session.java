package dev.shardgate.simulator.gateway;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.lang.System.Logger.Level;
import java.util.function.LongFunction;

/**
 * One gateway session: its sequence, the dispatches kept for replay, and the connection it is attached to.
 * Owned by the gateway loop thread; {@link #view()} may be called from any thread (state and seq are volatile).
 */
final class Session {
    private static final System.Logger LOG = System.getLogger(Session.class.getName());

    /** A dispatch kept for replay: the whole frame as sent. */
    @SuppressWarnings("ArrayRecordComponent") // kept for replay in order, never compared or hashed
    record Sent(long seq, byte[] frame) {
    }

    private final String id;
    private final int shardId;
    private final int shardCount;
    private final int intents;
    private final int replayCapacity;
    private final GatewayRecorder recorder;
    private final ArrayDeque<Sent> replay = new ArrayDeque<>();
    private volatile long seq;
    private volatile SessionState state = SessionState.ACTIVE;
    private volatile Connection connection;
    private Instant disconnectedAt;

    Session(String id, int shardId, int shardCount, int intents, int replayCapacity, Connection connection,
            GatewayRecorder recorder) {
        this.id = id;
        this.shardId = shardId;
        this.shardCount = shardCount;
        this.intents = intents;
        this.replayCapacity = replayCapacity;
        this.connection = connection;
        this.recorder = recorder;
        recorder.transition("session", "NEW", SessionState.ACTIVE);
    }

    String id() {
        return id;
    }

    int shardId() {
        return shardId;
    }

    int shardCount() {
        return shardCount;
    }

    int intents() {
        return intents;
    }

    long seq() {
        return seq;
    }

    SessionState state() {
        return state;
    }

    /** The connection receiving this session's dispatches, or null while disconnected. */
    Connection connection() {
        return connection;
    }

    boolean alive() {
        return state == SessionState.ACTIVE || state == SessionState.DISCONNECTED;
    }

    Instant disconnectedAt() {
        return disconnectedAt;
    }

    /** Gives the next sequence number to a dispatch and keeps the frame built for it for replay. */
    Sent append(LongFunction<byte[]> frameForSeq) {
        long next = seq + 1;
        Sent sent = new Sent(next, frameForSeq.apply(next));
        replay.addLast(sent);
        if (replay.size() > replayCapacity) {
            replay.pollFirst();
        }
        seq = next;
        return sent;
    }

    /** Whether every dispatch after {@code afterSeq} is still kept. */
    boolean canReplayAfter(long afterSeq) {
        return replay.isEmpty() ? afterSeq == seq : replay.peekFirst().seq() <= afterSeq + 1;
    }

    List<Sent> replayAfter(long afterSeq) {
        return replay.stream().filter(s -> s.seq() > afterSeq).toList();
    }

    void attach(Connection c) {
        connection = c;
        transition(SessionState.ACTIVE, "attached to connection " + c.id());
    }

    void detach(Instant now) {
        connection = null;
        disconnectedAt = now;
        transition(SessionState.DISCONNECTED, "connection gone");
    }

    void end(SessionState terminal, String why) {
        connection = null;
        replay.clear();
        transition(terminal, why);
    }

    private void transition(SessionState next, String why) {
        SessionState prev = state;
        state = next;
        recorder.transition("session", prev, next);
        LOG.log(Level.DEBUG, "session {0} shard {1}: {2} -> {3} ({4})", id, Integer.toString(shardId), prev, next,
                why);
    }

    SessionView view() {
        return new SessionView(id, shardId, shardCount, intents, seq, state, connection != null);
    }
}
