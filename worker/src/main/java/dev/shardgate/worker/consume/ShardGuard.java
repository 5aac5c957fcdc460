package dev.shardgate.worker.consume;

import dev.shardgate.worker.Event;
import dev.shardgate.worker.route.SeqPosition;

/**
 * What one pull loop's deliveries are checked against. In ordered mode, the shard's fence: a replica runs, acks or
 * extends an event of a shard only while it holds the shard's claim and its membership lease; and the shard's
 * position, to report {@code seq} going backwards. The shared consumer has neither. Called from the loop's and the
 * handler's threads; implementations are thread-safe.
 */
public interface ShardGuard {
    ShardGuard NONE = new ShardGuard() {
        @Override
        public boolean holds() {
            return true;
        }

        @Override
        public void observe(Event event, SeqPosition position) {
            // no order to keep
        }
    };

    /** Whether this replica may still run, ack or extend the loop's events. */
    boolean holds();

    /** Called with every event about to be handled, in delivery order. */
    void observe(Event event, SeqPosition position);
}
