package dev.shardgate.worker.consume;

import dev.shardgate.protocol.Subjects;
import java.time.Duration;
import java.util.concurrent.ExecutorService;

/**
 * The default mode: every replica pulls the one durable consumer on {@code {prefix}.events.>}, so each event
 * goes to one replica and handlers run concurrently. Owns one {@link PullLoop}.
 */
public final class SharedConsumption implements Consumption {
    /** Across all replicas; each replica's own bound is its in-flight limit. */
    static final long MAX_ACK_PENDING = 20_000;

    private final PullLoop loop;

    public SharedConsumption(Consumers consumers, String durable, Subjects subjects, EventProcessor processor,
            InFlight inFlight, ExecutorService handlers) {
        this.loop = new PullLoop(durable, () -> consumers.open(durable, subjects.allEvents(), MAX_ACK_PENDING),
                processor, inFlight, PullLoop.Dispatch.CONCURRENT, handlers, ShardGuard.NONE);
    }

    @Override
    public void start() {
        loop.start();
    }

    @Override
    public void stop() {
        loop.stop();
    }

    @Override
    public boolean awaitDone(Duration timeout) throws InterruptedException {
        return loop.awaitDone(timeout);
    }

    @Override
    public void abort() {
        loop.abort();
    }
}
