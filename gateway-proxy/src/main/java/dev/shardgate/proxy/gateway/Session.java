package dev.shardgate.proxy.gateway;

import java.net.URI;

/**
 * A Discord gateway session as READY describes it. The sequence is kept by the shard, since it changes with
 * every dispatch while these two never do.
 */
public record Session(String sessionId, URI resumeGatewayUrl) {
}
