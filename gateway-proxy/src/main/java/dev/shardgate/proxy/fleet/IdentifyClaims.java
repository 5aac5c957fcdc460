package dev.shardgate.proxy.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.proxy.discovery.GatewayBot.SessionStartLimit;
import dev.shardgate.proxy.gateway.IdentifyCoordinator;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.api.KeyValueEntry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The bot's one identify queue across every proxy instance, kept in NATS without a leader:
 * <ul>
 *   <li><b>Buckets.</b> An identify of bucket {@code b} first creates the key {@code {prefix}.bucket.{b}} in
 *       {@value FleetBuckets#IDENTIFY}, whose TTL is {@link FleetBuckets#IDENTIFY_WINDOW} (5.05 s). A create succeeds
 *       only when the key is absent, and the NATS server removes it that long after it was stored, on its own clock:
 *       so two windows of one bucket never begin closer than that, whichever instances claim them, with no clock
 *       comparison between machines. The window begins again when the Identify has left ({@link #sent} writes the
 *       key anew), so a claim acknowledged late only makes its Identify later, never closer to the next one: it is
 *       used. Only if that rewrite fails too does the next window run from the claim, shorter by how late the claim
 *       was confirmed; then a WARNING says so (before, a late claim was dropped, and a slow NATS cost the bucket a
 *       whole round: 5 s of start-up, seen with two proxies on a busy machine).
 *   <li><b>Budget.</b> The session-start budget lives under {@code {prefix}.budget} in
 *       {@value FleetBuckets#SESSIONS}: every identify decrements it with a compare-and-set before it is sent, and
 *       it is re-read from {@code /gateway/bot} (Discord's own count, which includes every instance) when older than
 *       {@link #BUDGET_MAX_AGE}; a re-read is written with a compare-and-set too, so it never overwrites a
 *       decrement made meanwhile. Identifies never take it below the reserve; shards beyond what it covers wait,
 *       the others go.
 * </ul>
 *
 * <p>Threads: called on the identify queue's thread only; blocks for NATS round trips and, once a minute at most,
 * for {@code /gateway/bot}.
 */
public final class IdentifyClaims implements IdentifyCoordinator {
    private static final System.Logger LOG = System.getLogger(IdentifyClaims.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Duration BUDGET_MAX_AGE = Duration.ofMinutes(1);
    /** A claim confirmed later than this is used, and named in the log if its window cannot be restarted. */
    static final Duration SLOW_CLAIM = Duration.ofMillis(25);
    private static final int CAS_ATTEMPTS = 10;

    /** Reads {@code session_start_limit} from Discord; may block. */
    public interface BudgetSource {
        SessionStartLimit fetch() throws Exception;
    }

    /** The budget as stored: {@code readAt} and {@code resetAt} are the reader's wall clock, used only for age. */
    record Budget(int remaining, int total, Instant resetAt, Instant readAt, long revision) {
    }

    private final KeyValue identify;
    private final KeyValue sessions;
    private final String prefix;
    private final String instanceId;
    private final int reserve;
    private final BudgetSource source;
    private final Clock clock;
    private final LongSupplier ticker;
    private SessionStartLimit startLimit;
    private Instant startLimitAt;
    private volatile int remaining = -1;
    /** The last budget seen, for the status page; read from any thread. */
    private volatile IdentifyBudget lastSeen;
    private volatile int low;
    private boolean lowLogged;
    private boolean reserveLogged;
    private boolean unavailableLogged;
    /** Buckets whose last claim here was confirmed later than {@link #SLOW_CLAIM}. */
    private final Set<Integer> slowClaims = new HashSet<>();

    public IdentifyClaims(FleetBuckets buckets, String prefix, String instanceId, int reserve,
            SessionStartLimit startLimit, BudgetSource source, Clock clock, LongSupplier ticker,
            MeterRegistry registry) {
        this.identify = buckets.identify();
        this.sessions = buckets.sessions();
        this.prefix = prefix;
        this.instanceId = instanceId;
        this.reserve = reserve;
        this.startLimit = startLimit;
        this.startLimitAt = clock.instant();
        this.source = source;
        this.clock = clock;
        this.ticker = ticker;
        this.lastSeen = new IdentifyBudget(startLimit.remaining(), startLimit.total(),
                startLimitAt.plus(startLimit.resetAfter()), reserve);
        Gauge.builder("shardgate_identify_budget_remaining", this, IdentifyClaims::remaining)
                .description("Session starts left for the whole bot, as last read from the fleet's shared count")
                .register(registry);
        Gauge.builder("shardgate_identify_budget_low", () -> low)
                .description("1 while the session-start budget is within 10 % (at least 10) of IDENTIFY_RESERVE")
                .register(registry);
    }

    @Override
    public int remaining() {
        return remaining;
    }

    /**
     * The budget as last read or spent here; until the first identify asks the shared count, what
     * {@code /gateway/bot} said at start-up. Safe from any thread.
     */
    public IdentifyBudget budget() {
        return lastSeen;
    }

    @Override
    public Claim claim(int bucket) {
        try {
            Budget budget = currentBudget();
            if (budget.remaining() <= reserve) {
                atReserve(budget);
                return Claim.BUDGET_LOW;
            }
            long sentAt = ticker.getAsLong();
            try {
                identify.create(prefix + ".bucket." + bucket, instanceId.getBytes(StandardCharsets.UTF_8));
            } catch (JetStreamApiException e) {
                if (KvErrors.lostRace(e)) {
                    return Claim.BUCKET_BUSY;
                }
                throw e;
            }
            if (ticker.getAsLong() - sentAt > SLOW_CLAIM.toNanos()) {
                slowClaims.add(bucket);
            } else {
                slowClaims.remove(bucket);
            }
            Claim spent = spendOne();
            available();
            return spent;
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            if (!unavailableLogged) {
                unavailableLogged = true;
                LOG.log(System.Logger.Level.ERROR, "cannot coordinate identifies through NATS ({0}); no shard "
                        + "identifies until it can", e.toString());
            }
            return Claim.UNAVAILABLE;
        }
    }

    @Override
    public void sent(int bucket) {
        try {
            // A new revision of the key: the bucket's TTL counts again from now, on the server's clock.
            identify.put(prefix + ".bucket." + bucket, instanceId.getBytes(StandardCharsets.UTF_8));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            // The window then runs from the claim: shorter by the claim's confirmation, up to SLOW_CLAIM unless the
            // claim was slower, which is when Discord may answer the next Identify of the bucket with op 9.
            LOG.log(slowClaims.contains(bucket) ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
                    "identify window of bucket {0} not restarted at its send: {1}", bucket, e.toString());
        }
    }

    private void available() {
        if (unavailableLogged) {
            unavailableLogged = false;
            LOG.log(System.Logger.Level.INFO, "identify coordination through NATS works again");
        }
    }

    /** The shared budget, re-read from Discord first when it is absent or stale. */
    private Budget currentBudget() throws IOException, JetStreamApiException {
        for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
            Budget stored = readBudget();
            Instant now = clock.instant();
            if (stored != null && now.isBefore(stored.readAt().plus(BUDGET_MAX_AGE))) {
                return seen(stored);
            }
            SessionStartLimit fresh = fetchOrFallback(stored);
            if (fresh == null) {
                return seen(stored);
            }
            Budget written = writeBudget(fresh, now, stored == null ? 0 : stored.revision());
            if (written != null) {
                LOG.log(System.Logger.Level.INFO, "session-start budget read from Discord: {0} of {1} left, reset "
                        + "in {2} s", fresh.remaining(), fresh.total(), fresh.resetAfter().toSeconds());
                return seen(written);
            }
        }
        throw new IOException("the shared session-start budget kept changing under " + CAS_ATTEMPTS + " attempts");
    }

    /** Discord's count; when it cannot be read, the stored one (counting on) or the one read at start. */
    private SessionStartLimit fetchOrFallback(Budget stored) {
        try {
            SessionStartLimit fresh = source.fetch();
            startLimit = fresh;
            startLimitAt = clock.instant();
            return fresh;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "cannot re-read the session-start budget ({0}); counting on from "
                    + "the shared count", e.toString());
        }
        if (stored != null) {
            return null;
        }
        SessionStartLimit start = startLimit;
        return new SessionStartLimit(start.total(), start.remaining(),
                start.resetAfter().minus(Duration.between(startLimitAt, clock.instant())), start.maxConcurrency());
    }

    /** Takes one session start with a compare-and-set; BUDGET_LOW when it is down to the reserve. */
    private Claim spendOne() throws IOException, JetStreamApiException {
        for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
            Budget b = readBudget();
            if (b == null) {
                b = currentBudget();
            }
            if (b.remaining() <= reserve) {
                atReserve(b);
                return Claim.BUDGET_LOW;
            }
            try {
                long rev = sessions.update(budgetKey(), encode(b.remaining() - 1, b.total(), b.resetAt(), b.readAt()),
                        b.revision());
                seen(new Budget(b.remaining() - 1, b.total(), b.resetAt(), b.readAt(), rev));
                return Claim.GRANTED;
            } catch (JetStreamApiException e) {
                if (!KvErrors.lostRace(e)) {
                    throw e;
                }
            }
        }
        throw new IOException("the shared session-start budget kept changing under " + CAS_ATTEMPTS + " attempts");
    }

    private Budget readBudget() throws IOException, JetStreamApiException {
        KeyValueEntry entry = sessions.get(budgetKey());
        if (entry == null || entry.getValue() == null || entry.getValue().length == 0) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(entry.getValue());
            return new Budget(n.get("remaining").asInt(), n.get("total").asInt(),
                    Instant.ofEpochMilli(n.get("reset_at").asLong()), Instant.ofEpochMilli(n.get("read_at").asLong()),
                    entry.getRevision());
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "the shared session-start budget is unreadable ({0}); reading it "
                    + "from Discord again", e.toString());
            return new Budget(0, 0, Instant.EPOCH, Instant.EPOCH, entry.getRevision());
        }
    }

    /** Writes a fresh reading on top of {@code revision} (0: absent); null when someone else wrote first. */
    private Budget writeBudget(SessionStartLimit fresh, Instant now, long revision)
            throws IOException, JetStreamApiException {
        Instant resetAt = now.plus(fresh.resetAfter());
        byte[] value = encode(fresh.remaining(), fresh.total(), resetAt, now);
        try {
            long rev = revision == 0 ? sessions.create(budgetKey(), value)
                    : sessions.update(budgetKey(), value, revision);
            return new Budget(fresh.remaining(), fresh.total(), resetAt, now, rev);
        } catch (JetStreamApiException e) {
            if (KvErrors.lostRace(e)) {
                return null;
            }
            throw e;
        }
    }

    private Budget seen(Budget b) {
        remaining = b.remaining();
        lastSeen = new IdentifyBudget(b.remaining(), b.total(), b.resetAt(), reserve);
        int threshold = reserve + Math.max(10, b.total() / 10);
        boolean isLow = b.remaining() <= threshold;
        low = isLow ? 1 : 0;
        if (isLow && !lowLogged) {
            lowLogged = true;
            LOG.log(System.Logger.Level.WARNING, "session-start budget is low: {0} of {1} left (reserve {2}), reset "
                    + "at {3}", b.remaining(), b.total(), reserve, b.resetAt());
        } else if (!isLow && lowLogged) {
            lowLogged = false;
            reserveLogged = false;
            LOG.log(System.Logger.Level.INFO, "session-start budget recovered: {0} of {1} left", b.remaining(),
                    b.total());
        }
        return b;
    }

    private void atReserve(Budget b) {
        if (!reserveLogged) {
            reserveLogged = true;
            LOG.log(System.Logger.Level.ERROR, "session-start budget is down to the reserve ({0} left, "
                    + "IDENTIFY_RESERVE {1}): shards that need a new session wait for the reset at {2} instead of "
                    + "identifying (one identify too many resets the token)", b.remaining(), reserve, b.resetAt());
        }
    }

    private static byte[] encode(int remaining, int total, Instant resetAt, Instant readAt) {
        return JSON.createObjectNode().put("remaining", remaining).put("total", total)
                .put("reset_at", resetAt.toEpochMilli()).put("read_at", readAt.toEpochMilli()).toString()
                .getBytes(StandardCharsets.UTF_8);
    }

    private String budgetKey() {
        return prefix + ".budget";
    }
}
