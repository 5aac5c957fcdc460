package dev.shardgate.proxy.rest.limit;

import dev.shardgate.proxy.rest.route.Route;
import dev.shardgate.proxy.rest.route.TokenId;

/**
 * One request's claim on the limits.
 *
 * @param deadline monotonic nanos after which the request is not worth sending
 * @param notBefore monotonic nanos before which it must not be sent (a sublimit's retry_after), or 0
 * @param retry a retry after a 429: it goes to the front of its bucket's queue
 */
public record Ticket(TokenId token, Route route, long deadline, long notBefore, boolean retry) {
}
