package dev.shardgate.proxy.gateway;

import dev.shardgate.protocol.GatewayLimits;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Discord's 120 payloads per 60 s per connection (discord-gateway.md §15), for one connection. Heartbeats,
 * Identify and Resume never wait: they come out of a reserve sized from the heartbeat interval. Commands share the
 * rest through a sliding-window log of send times, so no 60 s window ever holds more than the command share.
 * A command may reserve a slot a little in the future (it queues briefly) or is refused.
 *
 * <p>Not thread-safe: owned by the shard's thread. Times are nanoseconds from the shard's ticker.
 */
public final class SendLimiter {
    private static final long WINDOW_NANOS = GatewayLimits.SEND_WINDOW.toNanos();
    /** Identify or Resume, plus a few heartbeats Discord may ask for with op 1. */
    private static final int EXTRA_RESERVE = 3;

    private final int commandLimit;
    private final Deque<Long> sends = new ArrayDeque<>();

    public SendLimiter(Duration heartbeatInterval) {
        long beatsPerWindow = (WINDOW_NANOS + heartbeatInterval.toNanos() - 1) / heartbeatInterval.toNanos();
        this.commandLimit = (int) Math.max(0, GatewayLimits.SEND_LIMIT - (beatsPerWindow + 1) - EXTRA_RESERVE);
    }

    /** How many commands a 60 s window may hold on this connection. */
    public int commandLimit() {
        return commandLimit;
    }

    /**
     * Reserves the earliest slot for one command, if it is no later than {@code now + maxWait}.
     *
     * @return the time (ticker nanos) at which the command may be sent, or empty if it must be refused
     */
    public Optional<Long> reserve(long now, Duration maxWait) {
        while (!sends.isEmpty() && sends.peekFirst() <= now - WINDOW_NANOS) {
            sends.removeFirst();
        }
        if (commandLimit == 0) {
            return Optional.empty();
        }
        // Commands leave in the order they were accepted, after any already reserved.
        long slot = sends.isEmpty() ? now : Math.max(now, sends.peekLast());
        if (sends.size() >= commandLimit) {
            long[] times = sends.stream().mapToLong(Long::longValue).toArray();
            slot = Math.max(slot, times[times.length - commandLimit] + WINDOW_NANOS);
        }
        if (slot - now > maxWait.toNanos()) {
            return Optional.empty();
        }
        sends.addLast(slot);
        return Optional.of(slot);
    }
}
