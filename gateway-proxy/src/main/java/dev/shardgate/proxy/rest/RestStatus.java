package dev.shardgate.proxy.rest;

import dev.shardgate.proxy.rest.limit.LimiterStatus;
import dev.shardgate.proxy.rest.shared.ShareMode;

/**
 * The REST role at one moment, for the status page.
 *
 * @param port the REST proxy's port
 * @param shareMode how this replica takes part in shared limits, or null when {@code REST_SHARE_LIMITS} is off
 * @param limiter this replica's own limiter (a follower's requests are granted by the leader's instead)
 */
public record RestStatus(int port, ShareMode shareMode, LimiterStatus limiter) {
}
