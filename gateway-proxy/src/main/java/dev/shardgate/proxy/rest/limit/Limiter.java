package dev.shardgate.proxy.rest.limit;

import dev.shardgate.proxy.rest.RestConfig;
import dev.shardgate.proxy.rest.route.BucketKey;
import dev.shardgate.proxy.rest.route.Route;
import dev.shardgate.proxy.rest.route.TokenId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * The REST limiter: acquire → {@link Permit} → complete(answer). A request waits first for its bucket (in arrival
 * order, as many in flight as the bucket has slots), then for its token's global limit (charged only when it is
 * sent; interaction routes skip it), and is turned away at once when it cannot be sent before its deadline (a
 * request without one waits as long as its client does) or when its bucket's queue is full.
 * Answers teach it the route → bucket mapping, the buckets' limits and Discord's 429s, count invalid answers for
 * the breaker, lock a token on a 401 to a request its {@code Authorization} authenticated or on a Cloudflare ban,
 * and remember deleted webhooks and dead path tokens ({@link DeadWebhooks}).
 *
 * <p>Threads: all state is touched only by the {@link Scheduler}'s tasks, which run one at a time. The public
 * methods only submit tasks, so they can be called from any thread (a task may run on the caller's thread before
 * the call returns); timers (bucket resets, the global window, deadlines) are scheduled rather than polled.
 */
public final class Limiter implements RateLimiter {
    enum End { ANSWERED, UNSENT, LOST }

    private static final System.Logger LOG = System.getLogger(Limiter.class.getName());
    private static final long SECOND = 1_000_000_000L;
    private static final long SWEEP_INTERVAL = 60 * SECOND;
    private static final int FORGET_SCAN = 64;

    private final Scheduler scheduler;
    private final LimiterMetrics metrics;
    private final int globalLimit;
    private final Map<String, Integer> tokenGlobalLimits;
    private final int tokenMax;
    private final long margin;
    private final long probeInterval;
    private final int queueMaxPerBucket;
    private final InvalidRequestBreaker breaker;
    private final DeadWebhooks deadWebhooks = new DeadWebhooks();
    private final RoundTrips roundTrips = new RoundTrips();
    /** In order of last use, so that the least recently used idle token is the first to be forgotten. */
    private final LinkedHashMap<TokenId, TokenLimits> tokens = new LinkedHashMap<>(64, 0.75f, true);
    private double globalShare = 1.0;
    private long coldUntil = Long.MIN_VALUE;
    private final ExhaustedBuckets exhausted = new ExhaustedBuckets();
    private volatile ExhaustionListener exhaustionListener = (token, route, forNanos) -> { };

    /** Told, on the limiter thread, of every answer that leaves a bucket used up, and for how long. */
    public interface ExhaustionListener {
        void exhausted(TokenId token, Route route, long forNanos);
    }

    public Limiter(Scheduler scheduler, RestConfig config, LimiterMetrics metrics) {
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.globalLimit = config.globalLimit();
        this.tokenGlobalLimits = config.tokenGlobalLimits();
        this.tokenMax = config.tokenMax();
        this.margin = config.resetMargin().toNanos();
        this.probeInterval = config.tokenProbeInterval().toNanos();
        this.queueMaxPerBucket = config.queueMaxPerBucket();
        this.breaker = new InvalidRequestBreaker(config.invalidRequestLimit());
        scheduler.schedule(this::sweep, SWEEP_INTERVAL);
    }

    @Override
    public long nanoTime() {
        return scheduler.nanoTime();
    }

    @Override
    @SuppressWarnings("FutureReturnValueIgnored") // whenComplete's own futures: the callbacks only pass the outcome on
    public CompletableFuture<Permit> acquire(Ticket ticket) {
        CompletableFuture<Permit> result = new CompletableFuture<>();
        scheduler.execute(() -> {
            Waiter w = new Waiter(ticket, token(ticket.token()), scheduler.nanoTime());
            w.future.whenComplete((permit, error) -> {
                if (error != null) {
                    result.completeExceptionally(error);
                } else if (!result.complete(permit)) {
                    permit.unsent();
                }
            });
            result.whenComplete((permit, error) -> {
                if (error instanceof CancellationException) {
                    scheduler.execute(() -> leave(w));
                }
            });
            if (!result.isCancelled()) {
                admit(w);
            }
        });
        return result;
    }

    /**
     * What the limiter knows now, with the {@code maxBuckets} busiest buckets, for the status page. Taken on the
     * limiter thread like everything else, so it is consistent and needs no locks; fails when the limiter is closed.
     */
    public CompletableFuture<LimiterStatus> status(int maxBuckets) {
        CompletableFuture<LimiterStatus> result = new CompletableFuture<>();
        try {
            scheduler.execute(() -> {
                try {
                    result.complete(LimiterStatus.of(tokens.values(), breaker, globalShare, scheduler.nanoTime(),
                            maxBuckets));
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException closed) {
            result.completeExceptionally(closed);
        }
        return result;
    }

    /**
     * The part of every limit (global, per bucket, the breaker's threshold) this process may use: replicas that
     * cannot coordinate split the limits so that together they stay under them. Takes effect for new sends at once.
     */
    public void setShare(double share) {
        scheduler.execute(() -> {
            double next = Math.max(0.0, Math.min(1.0, share));
            if (next == globalShare) {
                return;
            }
            LOG.log(System.Logger.Level.INFO, "limiter share {0} -> {1}", globalShare, next);
            globalShare = next;
            breaker.share(next);
            tokens.values().forEach(t -> {
                t.global.resize(shareOf(globalLimitOf(t.id)));
                t.buckets.values().forEach(b -> {
                    b.share(next);
                    drain(b);
                });
                drainGlobal(t);
            });
        });
    }

    /** Where answers that use a bucket up are told (the shared limits publish them to the other replicas). */
    public void onExhausted(ExhaustionListener listener) {
        exhaustionListener = listener;
    }

    /**
     * Another process's limiter saw the route's bucket used up for {@code forNanos}: kept for {@link #takeOver},
     * which then sends nothing to that bucket before it is whole again.
     */
    public void rememberExhausted(TokenId token, Route route, long forNanos) {
        scheduler.execute(() -> {
            long now = scheduler.nanoTime();
            exhausted.remember(token, route, now + forNanos, now);
        });
    }

    /**
     * Takes the limits over from another process, which may have sent anything its limits allowed until just
     * before: nothing that counts against a global limit goes out before {@code pauseNanos} from now (every global
     * slot is treated as used for that long), and every bucket is forgotten, so it sends one request at a time
     * until Discord's answer tells its remaining ({@link Bucket#forget}); a bucket another replica's limiter saw used
     * up ({@link #rememberExhausted}) sends nothing before it is whole again. Blocks from 429s, locks, bans and
     * learned route hashes are kept: they are Discord's word, not this process's count.
     */
    public void takeOver(long pauseNanos) {
        scheduler.execute(() -> {
            long now = scheduler.nanoTime();
            coldUntil = Math.max(coldUntil, now + pauseNanos);
            for (ExhaustedBuckets.Exhausted e : exhausted.current(now)) {
                Bucket b = token(e.token()).bucketFor(e.route(), globalShare);
                if (b != null) {
                    b.block(e.until(), false);
                }
            }
            tokens.values().forEach(t -> {
                t.buckets.values().forEach(b -> {
                    b.forget();
                    drain(b);
                });
                drainGlobal(t);
            });
        });
    }

    private int shareOf(int limit) {
        return Math.max(1, (int) Math.floor(limit * globalShare));
    }

    private TokenLimits token(TokenId id) {
        TokenLimits t = tokens.get(id);
        if (t == null) {
            t = new TokenLimits(id, new GlobalLimit(shareOf(globalLimitOf(id)), SECOND + margin, margin));
            tokens.put(id, t);
            boolean forgot = tokens.size() > tokenMax && forgetIdleToken();
            metrics.tokens(tokens.size(), forgot);
        }
        return t;
    }

    /** {@code REST_TOKEN_GLOBAL_LIMITS}' limit for the token, else {@code REST_GLOBAL_LIMIT}. */
    private int globalLimitOf(TokenId id) {
        return tokenGlobalLimits.getOrDefault(id.fingerprint(), globalLimit);
    }

    /**
     * Forgets the least recently used token that holds nothing (a flood of made-up tokens must not grow the state
     * without bound); one that is waited on, in flight or inside a window is kept, as forgetting it could let more
     * through than its limits allow. Looks at the {@value #FORGET_SCAN} least recently used only.
     */
    private boolean forgetIdleToken() {
        long now = scheduler.nanoTime();
        int looked = 0;
        for (var it = tokens.values().iterator(); it.hasNext() && looked < FORGET_SCAN; looked++) {
            if (it.next().isIdle(now)) {
                it.remove();
                return true;
            }
        }
        return false;
    }

    private void admit(Waiter w) {
        long now = scheduler.nanoTime();
        TokenLimits t = w.token;
        if (breaker.state(now) == InvalidRequestBreaker.State.OPEN) {
            reject(w, Rejection.Reason.BREAKER_OPEN, breaker.closesAt(now) - now);
            return;
        }
        Rejection.Reason gone = deadWebhooks.refusal(w.ticket.route(), now);
        if (gone != null) {
            finish(w, new Rejection(gone, -1));
            return;
        }
        if (t.state() == TokenState.BANNED && now >= t.bannedUntil) {
            t.transition(TokenState.ACTIVE, "the Cloudflare ban's Retry-After has passed", metrics);
        }
        switch (t.state()) {
            case BANNED -> {
                reject(w, Rejection.Reason.TOKEN_BANNED, t.bannedUntil - now);
                return;
            }
            case LOCKED -> {
                // A route authenticated by a token in its path does not use the locked one.
                if (!w.ticket.route().tokenInPath()) {
                    if (t.probing || now < t.probeAt) {
                        reject(w, Rejection.Reason.TOKEN_LOCKED, Math.max(0, t.probeAt - now));
                        return;
                    }
                    t.probing = true;
                    w.probe = true;
                }
            }
            case ACTIVE -> { }
        }
        long start = Math.max(now, w.ticket.notBefore());
        String sublimit = t.sublimitKey(w.ticket.route());
        if (sublimit != null) {
            start = Math.max(start, t.sublimitsUntil.getOrDefault(sublimit, Long.MIN_VALUE));
        }
        if (start > w.ticket.deadline()) {
            reject(w, Rejection.Reason.MAX_WAIT, start - now);
            return;
        }
        if (w.ticket.deadline() != Ticket.NO_DEADLINE) {
            w.deadlineTimer = scheduler.schedule(() -> expire(w), w.ticket.deadline() - now);
        }
        if (start > now) {
            w.stage = Waiter.Stage.DELAYED;
            w.delayTimer = scheduler.schedule(() -> enterBucket(w), start - now);
        } else {
            enterBucket(w);
        }
    }

    private void enterBucket(Waiter w) {
        w.delayTimer = null;
        long now = scheduler.nanoTime();
        Bucket b = w.token.bucketFor(w.ticket.route(), globalShare);
        if (b == null) {
            enterGlobal(w);
            return;
        }
        if (!w.ticket.retry() && b.queue.size() >= queueMaxPerBucket) {
            reject(w, Rejection.Reason.QUEUE_FULL, SECOND);
            return;
        }
        int position = w.ticket.retry() ? 0 : b.queue.size();
        long earliest = b.earliestSend(position, now);
        if (earliest != Long.MAX_VALUE && earliest > w.ticket.deadline()) {
            reject(w, Rejection.Reason.MAX_WAIT, earliest - now);
            return;
        }
        w.bucket = b;
        w.stage = Waiter.Stage.BUCKET;
        w.depth = metrics.queueDepth(b);
        w.depth.incrementAndGet();
        if (w.ticket.retry()) {
            b.queue.addFirst(w);
        } else {
            b.queue.addLast(w);
        }
        drain(b);
    }

    /** Lets out of the bucket, in order, as many queued requests as it has free slots. */
    private void drain(Bucket b) {
        long now = scheduler.nanoTime();
        while (!b.queue.isEmpty() && b.canSend(now)) {
            Waiter w = b.queue.pollFirst();
            w.depth.decrementAndGet();
            b.reserve();
            w.holdsSlot = true;
            enterGlobal(w);
        }
        if (!b.queue.isEmpty()) {
            b.wakeAt(b.nextChange(now), scheduler, () -> drain(b));
        }
    }

    private void enterGlobal(Waiter w) {
        if (w.ticket.route().globalExempt()) {
            grant(w);
            return;
        }
        w.stage = Waiter.Stage.GLOBAL;
        w.token.globalQueue.addLast(w);
        drainGlobal(w.token);
    }

    private void drainGlobal(TokenLimits t) {
        long now = scheduler.nanoTime();
        while (!t.globalQueue.isEmpty()) {
            long at = Math.max(t.global.nextFree(now), Math.max(t.globalPausedUntil, coldUntil));
            if (at > now) {
                t.wakeGlobalAt(at, scheduler, () -> drainGlobal(t));
                return;
            }
            Waiter w = t.globalQueue.pollFirst();
            t.global.take();
            w.holdsGlobal = true;
            grant(w);
        }
    }

    private void grant(Waiter w) {
        if (w.token.state() == TokenState.BANNED) {
            if (w.holdsSlot) {
                w.holdsSlot = false;
                w.bucket.unsent();
            }
            if (w.holdsGlobal) {
                w.holdsGlobal = false;
                w.token.global.unsent();
            }
            reject(w, Rejection.Reason.TOKEN_BANNED, w.token.bannedUntil - scheduler.nanoTime());
            return;
        }
        w.cancelTimers();
        w.stage = Waiter.Stage.GRANTED;
        w.grantedAt = scheduler.nanoTime();
        long waited = w.grantedAt - w.arrived;
        metrics.waited(w.ticket.route().globalExempt(), waited);
        w.future.complete(new LocalPermit(this, w, waited));
    }

    private void reject(Waiter w, Rejection.Reason reason, long retryAfterNanos) {
        finish(w, new Rejection(reason, Math.max(0, retryAfterNanos) / 1e9));
    }

    private void finish(Waiter w, Rejection rejection) {
        w.cancelTimers();
        w.stage = Waiter.Stage.DONE;
        if (w.probe) {
            w.token.probing = false;
        }
        metrics.rejected(rejection.reason());
        w.future.completeExceptionally(rejection);
    }

    /** The deadline passed before the request could be sent. */
    private void expire(Waiter w) {
        w.deadlineTimer = null;
        if (withdraw(w)) {
            reject(w, Rejection.Reason.MAX_WAIT, 0);
        }
    }

    /** The client went away while its request waited. */
    private void leave(Waiter w) {
        if (withdraw(w)) {
            w.cancelTimers();
            w.stage = Waiter.Stage.DONE;
            if (w.probe) {
                w.token.probing = false;
            }
            w.future.cancel(false);
        }
    }

    /** Takes a waiting request out of whichever queue holds it, giving back a reserved slot. */
    private boolean withdraw(Waiter w) {
        switch (w.stage) {
            case DELAYED -> { }
            case BUCKET -> {
                w.bucket.queue.remove(w);
                w.depth.decrementAndGet();
            }
            case GLOBAL -> {
                w.token.globalQueue.remove(w);
                if (w.holdsSlot) {
                    w.holdsSlot = false;
                    w.bucket.unsent();
                    drain(w.bucket);
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    void onEnd(LocalPermit permit, Answer answer, End end) {
        scheduler.execute(() -> end(permit.waiter, answer, end));
    }

    private void end(Waiter w, Answer a, End end) {
        long now = scheduler.nanoTime();
        w.stage = Waiter.Stage.DONE;
        TokenLimits t = w.token;
        if (w.probe) {
            t.probing = false;
            if (end == End.ANSWERED && a.status() != 401) {
                t.transition(TokenState.ACTIVE, "a probe was answered " + a.status(), metrics);
            } else {
                // A probe that never went out does not count: the next request may probe at once.
                t.probeAt = end == End.UNSENT ? now : now + probeInterval;
            }
        }
        // From the commit toward Discord where the holder said when that was: the proxy's own delay before it (a
        // burst of grants, a connection being opened) is then no part of the way there.
        long departed = w.sentAt != 0 ? w.sentAt : w.grantedAt;
        if (end == End.ANSWERED) {
            roundTrips.add(now - departed);
        }
        if (w.holdsGlobal) {
            switch (end) {
                case UNSENT -> t.global.unsent();
                case LOST -> t.global.lost(now);
                case ANSWERED -> t.global.answered(departed, now, roundTrips.spread());
            }
            drainGlobal(t);
        }
        Bucket b = w.holdsSlot ? w.bucket : null;
        if (end != End.ANSWERED) {
            if (b != null) {
                if (end == End.UNSENT) {
                    b.unsent();
                } else {
                    b.lost(now, margin);
                }
                drain(b);
            }
            return;
        }
        if (a.status() == 401 || a.status() == 403 || a.scope().countsAsInvalid()) {
            breaker.record(now);
        }
        metrics.invalidRequests(breaker.count(now), breaker.state(now) == InvalidRequestBreaker.State.OPEN);
        deadWebhooks.learn(w.ticket.route(), a.status(), now);
        if (a.status() == 401 && t.state() == TokenState.ACTIVE && !w.ticket.route().tokenInPath()) {
            t.probeAt = now + probeInterval;
            t.transition(TokenState.LOCKED, "Discord answered 401 on " + w.ticket.route().template(), metrics);
        }
        if (a.scope() != RateLimitScope.NONE) {
            metrics.rateLimited(a.scope());
        }
        long retryAt = now + Math.round(a.retryAfterSeconds() * SECOND) + margin;
        switch (a.scope()) {
            case GLOBAL -> {
                t.globalPausedUntil = Math.max(t.globalPausedUntil, retryAt);
                LOG.log(System.Logger.Level.WARNING, "{0}: global 429, pausing the token for {1} s", t.id,
                        a.retryAfterSeconds());
                if (b != null) {
                    b.unsent();
                    drain(b);
                }
                drainGlobal(t);
                return;
            }
            case CLOUDFLARE -> {
                t.bannedUntil = Math.max(t.bannedUntil, now + Math.round(a.retryAfterSeconds() * SECOND));
                t.transition(TokenState.BANNED, "a 429 without Discord's JSON body: a Cloudflare ban for "
                        + a.retryAfterSeconds() + " s; every request of this token is stopped", metrics);
                if (b != null) {
                    b.unsent();
                }
                failAll(t);
                return;
            }
            default -> { }
        }
        if (b == null) {
            return;
        }
        b = learn(t, w, b, a);
        if (b == null) {
            return;
        }
        long usedUpUntil = a.scope() == RateLimitScope.USER ? retryAt
                : a.hasBucketHeaders() && a.remaining().getAsInt() == 0
                ? now + Math.round(a.resetAfterSeconds().getAsDouble() * SECOND) + margin : now;
        if (usedUpUntil > now) {
            exhaustionListener.exhausted(t.id, w.ticket.route(), usedUpUntil - now);
        }
        switch (a.scope()) {
            case USER -> {
                LOG.log(System.Logger.Level.WARNING, "{0}: 429 for bucket {1}: the model was wrong or another "
                        + "process sends with this token without sharing its limits", t.id, b.key);
                b.block(retryAt, true);
            }
            case SHARED -> b.block(retryAt, false);
            case SUBLIMIT -> {
                String key = t.sublimitKey(w.ticket.route());
                if (key != null) {
                    t.sublimitsUntil.merge(key, retryAt, Math::max);
                }
            }
            default -> { }
        }
        drain(b);
    }

    /**
     * Applies an answer to the bucket the request held a slot of: learns the route's bucket hash and moves the
     * request's bucket (and every other bucket of that route) to its real key. Returns the bucket the answer
     * belongs to, or null if the route turned out to have no per-route limit.
     */
    private Bucket learn(TokenLimits t, Waiter w, Bucket held, Answer a) {
        long now = scheduler.nanoTime();
        String template = w.ticket.route().template();
        if (!a.hasBucketHeaders() || a.bucket().isEmpty()) {
            if (a.status() / 100 == 2 && !a.hasBucketHeaders() && held.limit() == Bucket.UNKNOWN
                    && held.key.isProvisional()) {
                t.hashes.put(template, TokenLimits.NO_LIMIT);
                held.unsent();
                t.buckets.remove(held.key);
                List<Waiter> waiting = new ArrayList<>(held.queue);
                held.queue.clear();
                for (Waiter q : waiting) {
                    q.depth.decrementAndGet();
                    q.bucket = null;
                    enterGlobal(q);
                }
                return null;
            }
            if (a.hasBucketHeaders()) {
                held.answered(now, a, margin);
            } else {
                held.lost(now, margin);
            }
            return held;
        }
        String hash = a.bucket().get();
        boolean newHash = !hash.equals(t.hashes.get(template));
        if (newHash) {
            t.hashes.put(template, hash);
        }
        BucketKey real = BucketKey.ofHash(t.id, hash, held.key.major());
        Bucket target;
        Bucket existing = t.buckets.get(real);
        if (held.key.equals(real) || (existing == null && held.key.isProvisional())) {
            if (!held.key.equals(real)) {
                t.buckets.remove(held.key);
                held.key = real;
                t.buckets.put(real, held);
            }
            held.answered(now, a, margin);
            target = held;
        } else {
            // The real bucket did not reserve this request's slot: it takes Discord's count; the slot held
            // elsewhere is given back.
            held.unsent();
            target = t.bucket(real, globalShare);
            target.reserve();
            target.answered(now, a, margin);
            if (held.key.isProvisional()) {
                t.buckets.remove(held.key, held);
                moveQueue(held, target);
            }
        }
        // The answer is applied before any other queue joins the bucket, so nobody is let out on stale counts.
        if (newHash) {
            for (Bucket p : List.copyOf(t.buckets.values())) {
                if (p != target && p.key.isProvisional() && p.key.bucket().equals(template)) {
                    adopt(t, p, BucketKey.ofHash(t.id, hash, p.key.major()));
                }
            }
        }
        return target;
    }

    private static void moveQueue(Bucket from, Bucket to) {
        for (Waiter q : from.queue) {
            q.bucket = to;
            to.queue.addLast(q);
        }
        from.queue.clear();
    }

    /** Moves a provisional bucket to its real key, merging its queue into the real bucket if one exists. */
    private void adopt(TokenLimits t, Bucket provisional, BucketKey real) {
        t.buckets.remove(provisional.key);
        Bucket existing = t.buckets.get(real);
        if (existing == null) {
            provisional.key = real;
            t.buckets.put(real, provisional);
            return;
        }
        moveQueue(provisional, existing);
        drain(existing);
    }

    /** A ban stops everything of the token: every waiting request is answered now. */
    private void failAll(TokenLimits t) {
        long now = scheduler.nanoTime();
        List<Waiter> all = new ArrayList<>(t.globalQueue);
        t.buckets.values().forEach(b -> all.addAll(b.queue));
        for (Waiter q : all) {
            if (withdraw(q)) {
                reject(q, Rejection.Reason.TOKEN_BANNED, t.bannedUntil - now);
            }
        }
    }

    /** Forgets buckets that are idle and fully refilled; they start again at one request in flight. */
    private void sweep() {
        long now = scheduler.nanoTime();
        for (TokenLimits t : tokens.values()) {
            t.buckets.values().removeIf(b -> b.isIdle(now));
            t.sublimitsUntil.values().removeIf(until -> until <= now);
        }
        metrics.invalidRequests(breaker.count(now), breaker.state(now) == InvalidRequestBreaker.State.OPEN);
        scheduler.schedule(this::sweep, SWEEP_INTERVAL);
    }
}
