package dev.shardgate.proxy.publish;

/**
 * The publisher's buffer at one moment, for the status page: how much is received but not yet settled (stored,
 * dead-lettered or fenced), against its bounds, and how long the oldest has waited.
 *
 * @param oldestAgeMillis how long the oldest unsettled event has waited, or -1 when the buffer is empty
 * @param published events JetStream has stored since the process started
 * @param retrying true while a failed publish holds newer events back until it is retried (a NATS outage)
 */
public record PublisherStatus(int events, long bytes, int maxEvents, long maxBytes, long oldestAgeMillis,
        long published, boolean retrying) {
}
