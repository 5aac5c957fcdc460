package dev.shardgate.proxy.rest.limit;

import dev.shardgate.proxy.rest.route.Route;
import dev.shardgate.proxy.rest.route.TokenId;

/**
 * One request's claim on the limits.
 *
 * @param deadline monotonic nanos after which the request is not worth sending, or {@link #NO_DEADLINE}
 * @param notBefore monotonic nanos before which it must not be sent (a sublimit's retry_after), or 0
 * @param retry a retry after a 429: it goes to the front of its bucket's queue
 */
public record Ticket(TokenId token, Route route, long deadline, long notBefore, boolean retry) {
    /** The request waits as long as its client does. */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    /** {@code now + wait}, or {@link #NO_DEADLINE} when that does not fit (an unlimited wait). */
    public static long deadlineAfter(long now, long waitNanos) {
        return waitNanos >= NO_DEADLINE - Math.max(0, now) ? NO_DEADLINE : now + waitNanos;
    }
}
