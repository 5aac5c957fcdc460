package dev.shardgate.proxy.rest.shared;

import dev.shardgate.proxy.rest.limit.Answer;
import dev.shardgate.proxy.rest.limit.Permit;
import io.nats.client.Connection;
import java.util.concurrent.atomic.AtomicBoolean;

/** A permit granted by the leader's limiter; ending it tells the leader over NATS. */
final class RemotePermit implements Permit {
    private static final System.Logger LOG = System.getLogger(RemotePermit.class.getName());
    private final Connection connection;
    private final String endSubject;
    private final String id;
    private final long waitedNanos;
    private final AtomicBoolean ended = new AtomicBoolean();

    RemotePermit(Connection connection, String endSubject, String id, long waitedNanos) {
        this.connection = connection;
        this.endSubject = endSubject;
        this.id = id;
        this.waitedNanos = waitedNanos;
    }

    @Override
    public long waitedNanos() {
        return waitedNanos;
    }

    /**
     * Not told to the leader: it times the permit from its grant, and the way over NATS and this replica's own delay
     * are then part of every round trip it measures, so their spread is in the window it holds slots for.
     */
    @Override
    public void sent() {
    }

    @Override
    public void complete(Answer answer) {
        send(LimiterProtocol.End.answered(id, answer));
    }

    @Override
    public void unsent() {
        send(new LimiterProtocol.End(id, "unsent", 0, null, null, null, null, "NONE", 0));
    }

    @Override
    public void lost() {
        send(new LimiterProtocol.End(id, "lost", 0, null, null, null, null, "NONE", 0));
    }

    /** If this cannot reach the leader, the leader ends the permit as lost when its lease runs out. */
    private void send(LimiterProtocol.End end) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        try {
            connection.publish(endSubject, LimiterProtocol.write(end));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "could not end permit {0} at the leader: {1}", id,
                    e.getClass().getSimpleName());
        }
    }
}
