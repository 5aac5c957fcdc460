package dev.shardgate.worker.consume;

import java.time.Duration;

/** How a worker reads the event stream: one shared consumer, or one consumer per owned shard (ordered mode). */
public interface Consumption {
    void start() throws Exception;

    /** Stops pulling; what was already delivered is still handled. Returns at once. */
    void stop();

    /** Waits until every pull loop has ended after {@link #stop()}; false if time ran out. */
    boolean awaitDone(Duration timeout) throws InterruptedException;

    /** Ends every loop now; unacked deliveries return to the stream after the ack wait. */
    void abort();
}
