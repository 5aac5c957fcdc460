package dev.shardgate.proxy.gateway;

import java.time.Duration;
import java.util.Optional;

/**
 * Notices a connection that is alive (heartbeats are ACKed) but has stopped carrying dispatches, which Discord's
 * gateway occasionally does: the heartbeat cannot see it, and every event of the shard would wait for a reconnect
 * that never comes. A shard that has had traffic on this session and then hears nothing for
 * {@value #GAPS_OF_SILENCE} times its average gap between dispatches (and at least {@code minSilence}) is resumed on
 * a fresh connection, which replays what it missed. A quiet shard (few guilds) has a long average gap, so it is
 * given correspondingly long.
 *
 * <p>Not thread-safe: owned by the shard's thread. Times are monotonic nanoseconds.
 */
final class SilenceWatchdog {
    static final int GAPS_OF_SILENCE = 50;
    /** Dispatches needed before the average gap means anything. */
    static final int MIN_DISPATCHES = 20;
    private static final double WEIGHT = 0.05;

    private final Duration minSilence;
    private long last;
    private long count;
    private double meanGapNanos;

    SilenceWatchdog(Duration minSilence) {
        this.minSilence = minSilence;
    }

    /** A session went live: traffic is measured afresh. */
    void reset(long now) {
        last = now;
        count = 0;
        meanGapNanos = 0;
    }

    void dispatched(long now) {
        if (count > 0) {
            long gap = now - last;
            meanGapNanos = count == 1 ? gap : meanGapNanos + WEIGHT * (gap - meanGapNanos);
        }
        last = now;
        count++;
    }

    /** How often to look: often enough to act soon after the shortest allowed silence. */
    Duration checkEvery() {
        return minSilence.dividedBy(2);
    }

    /** Why the connection counts as silent now, or empty. */
    Optional<String> silentFor(long now) {
        if (count < MIN_DISPATCHES) {
            return Optional.empty();
        }
        long silence = now - last;
        long limit = Math.max(minSilence.toNanos(), (long) (GAPS_OF_SILENCE * meanGapNanos));
        if (silence <= limit) {
            return Optional.empty();
        }
        return Optional.of("no dispatch for " + Duration.ofNanos(silence).toMillis() + " ms on a connection that "
                + "averaged one every " + Duration.ofNanos((long) meanGapNanos).toMillis() + " ms (heartbeats still "
                + "ACKed): resuming on a fresh connection");
    }
}
