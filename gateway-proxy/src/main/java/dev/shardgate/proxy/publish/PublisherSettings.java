package dev.shardgate.proxy.publish;

import java.time.Duration;
import java.util.Objects;

/**
 * The publisher's settings, fixed at start.
 *
 * @param bufferEvents events accepted but not yet settled, across all shards ({@code PUBLISH_BUFFER})
 * @param bufferBytes the same bound in body bytes (the publish buffer's byte setting), so a burst of large events
 *     cannot exhaust the heap
 * @param streamName the event stream ({@code EVENTS_STREAM}); bodies over the server's {@code max_payload} go to the
 *     object store bucket {@code {streamName}_LARGE}
 * @param maxAge the event stream's max age ({@code EVENTS_MAX_AGE}), also the bucket's when this publisher creates it,
 *     so a body lives as long as the message that points to it; zero means unlimited
 * @param replicas the bucket's replicas when this publisher creates it (1 on a single server)
 */
public record PublisherSettings(int bufferEvents, long bufferBytes, String streamName, Duration maxAge, int replicas) {
    public PublisherSettings {
        Objects.requireNonNull(streamName, "streamName");
        Objects.requireNonNull(maxAge, "maxAge");
        if (bufferEvents < 1) {
            throw new IllegalArgumentException("the publish buffer must hold at least 1 event, got " + bufferEvents);
        }
        if (bufferBytes < 1) {
            throw new IllegalArgumentException("the publish buffer must hold at least 1 byte, got " + bufferBytes);
        }
        if (maxAge.isNegative()) {
            throw new IllegalArgumentException("the stream's max age must not be negative, got " + maxAge);
        }
        if (replicas < 1 || replicas > 5) {
            throw new IllegalArgumentException("JetStream allows 1 to 5 replicas, got " + replicas);
        }
    }
}
