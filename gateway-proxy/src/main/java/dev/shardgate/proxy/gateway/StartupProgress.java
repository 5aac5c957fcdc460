package dev.shardgate.proxy.gateway;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * How far this instance's start-up has come: its shards that are served (READY or RESUMED here, or held by another
 * instance), the next identify of its queue, and the time left, computed from the queue's actual plan: each bucket's
 * line identifies one shard per period from its next slot, so start-up ends when the longest line does. Logged as
 * one INFO line every {@link #LOG_EVERY} while shards come up (and something is waiting or moved), and once more
 * when all are served, with the time it took; shown on the admin HTTP.
 *
 * <p>With several instances the plan is this instance's line only: a bucket that other instances also claim goes
 * slower than the estimate; {@code gateway.info} shows the whole bot.
 *
 * <p>Threads: {@link #snapshot()} from any thread (admin HTTP); the log runs on the timer thread given to
 * {@link #start}.
 */
public final class StartupProgress {
    private static final System.Logger LOG = System.getLogger(StartupProgress.class.getName());
    static final Duration LOG_EVERY = Duration.ofSeconds(5);

    /**
     * @param next the bucket whose identify comes first and when, or null when no shard is in line
     * @param roundsLeft identifies still to come in the longest bucket line
     * @param left until the last shard in line identifies (READY follows within a round trip)
     * @param elapsed since start-up began, or what it took once complete
     */
    public record Snapshot(Instant at, int ready, int total, IdentifyPlan.Line next, int roundsLeft, Duration period,
            Duration left, Duration elapsed, boolean complete) {

        public ObjectNode toJson() {
            ObjectNode node = JsonNodeFactory.instance.objectNode()
                    .put("ready", ready)
                    .put("total", total)
                    .put("complete", complete)
                    .put("elapsed_ms", elapsed.toMillis())
                    .put("rounds_left", roundsLeft)
                    .put("period_ms", period.toMillis())
                    .put("estimate_left_ms", left.toMillis());
            if (next != null) {
                node.put("next_identify_at", next.next().toString())
                        .put("next_identify_in_ms", Duration.between(at, next.next()).toMillis())
                        .put("next_bucket", next.bucket());
            } else {
                node.putNull("next_identify_at").putNull("next_identify_in_ms").putNull("next_bucket");
            }
            return node;
        }

        String logLine() {
            if (complete) {
                return "startup: all " + total + " shards ready in " + human(elapsed);
            }
            String waiting = next == null ? "no identify waiting here (shards connecting, resuming or failed)"
                    : "next identify in " + human(Duration.between(at, next.next())) + " (bucket " + next.bucket()
                            + "); about " + human(left) + " left (" + roundsLeft + " round(s) of "
                            + String.format(Locale.ROOT, "%.3f s", period.toMillis() / 1000.0) + ")";
            return "startup: " + ready + "/" + total + " shards ready; " + waiting;
        }
    }

    private final Supplier<List<ShardStatus>> shards;
    private final Supplier<IdentifyPlan> plan;
    private final Clock clock;
    private final Instant startedAt;
    private volatile Duration took;
    private volatile ScheduledFuture<?> logging;
    private int lastLoggedReady = -1;

    public StartupProgress(Supplier<List<ShardStatus>> shards, Supplier<IdentifyPlan> plan, Clock clock) {
        this.shards = shards;
        this.plan = plan;
        this.clock = clock;
        this.startedAt = clock.instant();
    }

    /** The progress now; once every shard was served, complete for good with the time it took. */
    public Snapshot snapshot() {
        Instant now = clock.instant();
        Duration doneIn = took;
        Snapshot s = compute(shards.get(), plan.get(), now,
                doneIn == null ? Duration.between(startedAt, now) : doneIn, doneIn != null);
        if (doneIn == null && s.complete()) {
            took = s.elapsed();
        }
        return s;
    }

    /** Logs now and every {@link #LOG_EVERY} on {@code timers} until start-up is complete. */
    public void start(ScheduledExecutorService timers) {
        logging = timers.scheduleAtFixedRate(this::log, 0, LOG_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void log() {
        Snapshot s = snapshot();
        if (s.complete()) {
            LOG.log(System.Logger.Level.INFO, s.logLine());
            logging.cancel(false);
        } else if (s.next() != null || s.ready() != lastLoggedReady) {
            LOG.log(System.Logger.Level.INFO, s.logLine());
        }
        lastLoggedReady = s.ready();
    }

    /** @param completed start-up was complete before: a shard reconnecting later does not undo it */
    static Snapshot compute(List<ShardStatus> shards, IdentifyPlan plan, Instant now, Duration elapsed,
            boolean completed) {
        int ready = (int) shards.stream().filter(ShardStatus::isServed).count();
        boolean complete = completed || (!shards.isEmpty() && ready == shards.size());
        IdentifyPlan.Line first = null;
        Instant end = now;
        int rounds = 0;
        for (IdentifyPlan.Line line : plan.lines()) {
            Instant next = line.next().isBefore(now) ? now : line.next();
            Instant last = next.plus(plan.period().multipliedBy(line.inLine() - 1L));
            end = last.isAfter(end) ? last : end;
            rounds = Math.max(rounds, line.inLine());
            if (first == null || next.isBefore(first.next())) {
                first = new IdentifyPlan.Line(line.bucket(), line.inLine(), next);
            }
        }
        return new Snapshot(now, ready, shards.size(), first, rounds, plan.period(), Duration.between(now, end),
                elapsed, complete);
    }

    /** {@code 3.2 s}, or {@code 3 min 05 s} from a minute on. */
    static String human(Duration d) {
        long ms = Math.max(0, d.toMillis());
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        long s = Math.round(ms / 1000.0);
        return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
    }
}
