package dev.shardgate.proxy.publish;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

/**
 * Says what a publishing outage means without a line per retry: one WARNING when publishing starts failing, a
 * summary at most every {@link #SUMMARY_EVERY} while it lasts (what is buffered, how old the oldest event is, how
 * many attempts failed since the last line), and one INFO when it is over, with its length.
 *
 * <p>Several things can fail at once, each retried on its own: the stream publishes (one source) and each large
 * body's put (one source per event). The outage lasts while any of them is failing, so a success of one does not
 * end (and re-start, and end) an outage another one still has.
 *
 * <p>Threads: {@link #failed} and {@link #succeeded} are called from jnats' threads and the publisher's threads,
 * {@link #tick} from the publisher's loop; the state is only changed under this object's lock.
 */
final class OutageLog {
    private static final System.Logger LOG = System.getLogger(OutageLog.class.getName());
    static final Duration SUMMARY_EVERY = Duration.ofSeconds(30);

    private final Clock clock;
    private final PublishBuffer buffer;
    private final Set<Object> failingSources = new HashSet<>();
    /** Read without the lock on every stored event, so successes cost nothing while nothing fails. */
    private volatile boolean failing;
    private Instant since;
    private Instant lastLine;
    private long failuresSinceLine;
    private long failuresInOutage;
    private String lastError;

    OutageLog(Clock clock, PublishBuffer buffer) {
        this.clock = clock;
        this.buffer = buffer;
    }

    boolean failing() {
        return failing;
    }

    /** {@code source} failed and will be retried. */
    synchronized void failed(Object source, Throwable error) {
        failingSources.add(source);
        lastError = PublishErrors.describe(error);
        failuresInOutage++;
        if (failing) {
            failuresSinceLine++;
            return;
        }
        failing = true;
        since = clock.instant();
        lastLine = since;
        failuresSinceLine = 0;
        LOG.log(System.Logger.Level.WARNING, "publishing to JetStream fails ({0}); events stay buffered and are "
                + "retried ({1} event(s), {2} bytes buffered); a summary follows every {3} s until it recovers",
                lastError, buffer.events(), buffer.bytes(), SUMMARY_EVERY.toSeconds());
    }

    /** {@code source} works again, or needs no more retries; the outage is over when no source fails. */
    synchronized void succeeded(Object source) {
        if (!failingSources.remove(source) || !failingSources.isEmpty()) {
            return;
        }
        failing = false;
        LOG.log(System.Logger.Level.INFO, "publishing to JetStream recovered after {0} ({1} failed attempts); {2} "
                + "event(s) still buffered", length(Duration.between(since, clock.instant())), failuresInOutage,
                buffer.events());
        failuresInOutage = 0;
    }

    /**
     * The periodic summary, when one is due. An outage also ends when nothing is left to publish (the fence dropped
     * or dead-lettering took every buffered event), or its summaries would go on about an empty buffer.
     */
    synchronized void tick() {
        if (!failing) {
            return;
        }
        Instant now = clock.instant();
        if (buffer.events() == 0) {
            failing = false;
            failingSources.clear();
            LOG.log(System.Logger.Level.INFO, "publishing to JetStream: nothing left to retry after {0} of failures "
                    + "({1} failed attempts; the remaining events were dropped by the fence or dead-lettered)",
                    length(Duration.between(since, now)), failuresInOutage);
            failuresInOutage = 0;
            return;
        }
        if (Duration.between(lastLine, now).compareTo(SUMMARY_EVERY) < 0) {
            return;
        }
        long oldest = buffer.oldestOfferedAtMillis().orElse(now.toEpochMilli());
        LOG.log(System.Logger.Level.WARNING, "publishing to JetStream still failing after {0}: {1} event(s) ({2} "
                + "bytes) buffered, the oldest {3} old; {4} failed attempts in the last {5}; last error: {6}",
                length(Duration.between(since, now)), buffer.events(), buffer.bytes(),
                length(Duration.ofMillis(Math.max(0, now.toEpochMilli() - oldest))), failuresSinceLine,
                length(Duration.between(lastLine, now)), lastError);
        lastLine = now;
        failuresSinceLine = 0;
    }

    /** {@code 4 s}, {@code 2 min 5 s}: what a person reads at a glance. */
    static String length(Duration d) {
        long s = d.toSeconds();
        return s < 60 ? s + " s" : s / 60 + " min " + s % 60 + " s";
    }
}
