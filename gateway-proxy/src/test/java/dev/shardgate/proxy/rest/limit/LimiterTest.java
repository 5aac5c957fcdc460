package dev.shardgate.proxy.rest.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.config.ConfigSource;
import dev.shardgate.proxy.rest.RestConfig;
import dev.shardgate.proxy.rest.route.BadRouteException;
import dev.shardgate.proxy.rest.route.Route;
import dev.shardgate.proxy.rest.route.TokenId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** The limiter on virtual time: every test is deterministic and takes milliseconds. */
class LimiterTest {
    private static final TokenId BOT = TokenId.of("Bot test-token");
    private final VirtualScheduler clock = new VirtualScheduler();
    private Limiter limiter = limiter(Map.of());

    private SimpleMeterRegistry registry;

    private Limiter limiter(Map<String, String> env) {
        Map<String, String> settings = new HashMap<>(Map.of("REST_GLOBAL_LIMIT", "50", "REST_RESET_MARGIN", "50ms"));
        settings.putAll(env);
        registry = new SimpleMeterRegistry();
        return new Limiter(clock, RestConfig.from(ConfigSource.of(settings)), new LimiterMetrics(registry));
    }

    private static Route route(String method, String path) {
        try {
            return Route.parse(method, path, System.currentTimeMillis(), new byte[0]);
        } catch (BadRouteException e) {
            throw new AssertionError(e);
        }
    }

    private CompletableFuture<Permit> acquire(Route route) {
        return acquire(route, 60_000);
    }

    private CompletableFuture<Permit> acquire(Route route, long maxWaitMillis) {
        return limiter.acquire(new Ticket(BOT, route, clock.nanoTime() + maxWaitMillis * 1_000_000, 0, false));
    }

    private List<CompletableFuture<Permit>> acquireAll(Route route, int count) {
        List<CompletableFuture<Permit>> fs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            fs.add(acquire(route));
        }
        return fs;
    }

    private static Answer ok(int limit, int remaining, double resetAfter, String hash) {
        Map<String, String> h = Map.of("x-ratelimit-limit", "" + limit, "x-ratelimit-remaining", "" + remaining,
                "x-ratelimit-reset-after", "" + resetAfter, "x-ratelimit-bucket", hash);
        return Answer.parse(200, n -> h.get(n.toLowerCase(Locale.ROOT)), null);
    }

    private static Answer rateLimited(Map<String, String> headers, String body) {
        Map<String, String> h = new HashMap<>();
        headers.forEach((k, v) -> h.put(k.toLowerCase(Locale.ROOT), v));
        return Answer.parse(429, n -> h.get(n.toLowerCase(Locale.ROOT)), body.getBytes(StandardCharsets.UTF_8));
    }

    private static Permit permit(CompletableFuture<Permit> f) {
        assertTrue(f.isDone(), "expected a permit");
        return f.join();
    }

    private static Rejection rejection(CompletableFuture<Permit> f) {
        assertTrue(f.isCompletedExceptionally(), "expected a rejection");
        try {
            f.get();
            throw new AssertionError("not rejected");
        } catch (ExecutionException e) {
            return assertInstanceOf(Rejection.class, e.getCause());
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static long granted(List<CompletableFuture<Permit>> fs) {
        return fs.stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).count();
    }

    @Test
    void unknownBucketSendsOneAtATimeThenAsManyAsItHasLeft() {
        Route send = route("POST", "/channels/111/messages");
        List<CompletableFuture<Permit>> fs = acquireAll(send, 6);
        assertEquals(1, granted(fs));
        permit(fs.get(0)).complete(ok(5, 4, 1.0, "hash-a"));
        assertEquals(5, granted(fs), "the four left in the window go out together, not one by one");
        clock.advanceMillis(1049);
        assertEquals(5, granted(fs));
        clock.advanceMillis(2);
        assertEquals(6, granted(fs), "the sixth leaves when the window resets (plus the margin)");
    }

    @Test
    void aLimiterTakingOverPausesTheGlobalLimitAndForgetsEveryBucketUntilDiscordTellsItsRemaining() {
        Route send = route("POST", "/channels/111/messages");
        permit(acquire(send)).complete(ok(5, 4, 1.0, "h"));
        clock.advanceMillis(2_000);
        // As far as this limiter knows, the bucket is full again; another process may have used it meanwhile.
        limiter.takeOver(1_050_000_000L);
        List<CompletableFuture<Permit>> fs = acquireAll(send, 4);
        clock.advanceMillis(1_049);
        assertEquals(0, granted(fs), "every global slot counts as used for the first window");
        clock.advanceMillis(2);
        assertEquals(1, granted(fs), "one request at a time until an answer tells the bucket's remaining");
        permit(fs.get(0)).complete(ok(5, 1, 2.0, "h"));
        assertEquals(2, granted(fs), "Discord's remaining, not the old model's five, decides");
        clock.advanceMillis(2_049);
        assertEquals(2, granted(fs));
        clock.advanceMillis(2);
        assertEquals(4, granted(fs), "the slots come back at the reset the answer announced");
    }

    @Test
    void anAnswerThatUsesABucketUpIsToldWithItsResetAndATakeOverWaitsForIt() {
        Route send = route("POST", "/channels/111/messages");
        List<Long> told = new ArrayList<>();
        limiter.onExhausted((token, r, forNanos) -> {
            assertEquals(BOT, token);
            assertEquals(send, r);
            told.add(forNanos);
        });
        permit(acquire(send)).complete(ok(5, 1, 4.0, "h"));
        assertTrue(told.isEmpty(), "a bucket with a request left is not used up");
        permit(acquire(send)).complete(ok(5, 0, 4.0, "h"));
        assertEquals(List.of(4_050_000_000L), told, "used up until the reset, plus the margin");

        // Another replica's limiter: it saw that, and takes over a second later.
        Limiter other = limiter(Map.of());
        other.rememberExhausted(BOT, send, 4_050_000_000L);
        clock.advanceMillis(1_000);
        other.takeOver(1_050_000_000L);
        CompletableFuture<Permit> next = other.acquire(new Ticket(BOT, send, clock.nanoTime() + 60_000_000_000L, 0,
                false));
        clock.advanceMillis(3_049);
        assertFalse(next.isDone(), "no request spent on a bucket known to be full");
        clock.advanceMillis(2);
        assertTrue(next.isDone(), "one request, once the bucket is whole again");
    }

    @Test
    void queuedRequestsLeaveInArrivalOrderWhenSlotsComeBack() {
        Route send = route("POST", "/channels/111/messages");
        CompletableFuture<Permit> first = acquire(send);
        permit(first).complete(ok(2, 1, 1.0, "h"));
        CompletableFuture<Permit> second = acquire(send);
        permit(second).complete(ok(2, 0, 0.9, "h"));
        List<CompletableFuture<Permit>> queued = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            queued.add(acquire(send));
        }
        assertEquals(0, granted(queued));
        clock.advanceMillis(951);
        assertTrue(queued.get(0).isDone(), "the second request's slot is back at its reset");
        assertFalse(queued.get(1).isDone());
        clock.advanceMillis(100);
        assertTrue(queued.get(1).isDone(), "the first request's slot is back at the reset it was told");
        assertFalse(queued.get(2).isDone());
        assertTrue(clock.armedTimers() <= 4, "one wake-up per bucket and deadline timers only: no polling");
    }

    @Test
    void routesThatShareABucketHashShareItsLimit() {
        Route edit = route("PATCH", "/channels/111/messages/222");
        Route delete = route("DELETE", "/channels/111/messages/" + (Long.parseLong("222") + (1L << 40)));
        permit(acquire(edit)).complete(ok(2, 1, 5.0, "shared"));
        CompletableFuture<Permit> d1 = acquire(delete);
        permit(d1).complete(ok(2, 0, 4.9, "shared"));
        CompletableFuture<Permit> e2 = acquire(edit);
        assertFalse(e2.isDone(), "the delete used the edit's last slot: they share one bucket");
        clock.advanceMillis(4_960);
        assertTrue(e2.isDone());
    }

    @Test
    void aRouteThatTurnsOutToShareAKnownBucketJoinsItsQueue() {
        Route edit = route("PATCH", "/channels/111/messages/222");
        Route pin = route("PUT", "/channels/111/pins/222");
        permit(acquire(edit)).complete(ok(3, 2, 5.0, "shared"));
        Permit firstPin = permit(acquire(pin));
        CompletableFuture<Permit> secondPin = acquire(pin);
        assertFalse(secondPin.isDone(), "the pin route's bucket is unknown: one request at a time");
        firstPin.complete(ok(3, 0, 4.9, "shared"));
        assertFalse(secondPin.isDone(), "now known to share the edit's bucket, which is used up");
        assertFalse(acquire(edit).isDone());
        clock.advanceMillis(4_949);
        assertFalse(secondPin.isDone(), "not before the reset the pin's answer announced, plus the margin");
        clock.advanceMillis(2);
        assertTrue(secondPin.isDone());
    }

    @Test
    void aRouteWithoutRateLimitHeadersMeetsOnlyTheGlobalLimit() {
        Route gateway = route("GET", "/gateway/bot");
        Permit first = permit(acquire(gateway));
        CompletableFuture<Permit> second = acquire(gateway);
        assertFalse(second.isDone());
        first.complete(Answer.parse(200, n -> null, null));
        assertTrue(second.isDone());
        List<CompletableFuture<Permit>> more = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            more.add(acquire(gateway));
        }
        assertEquals(10, granted(more));
    }

    @Test
    void majorParametersAreSeparateLimits() {
        Route a = route("POST", "/channels/111/messages");
        Route b = route("POST", "/channels/222/messages");
        permit(acquire(a)).complete(ok(1, 0, 5.0, "h"));
        assertFalse(acquire(a).isDone());
        assertTrue(acquire(b).isDone(), "another channel has its own limit under the same hash");
    }

    @Test
    void globalLimitIsChargedWhenSentSoRequestsWaitingForABucketHoldNoGlobalSlot() {
        limiter = limiter(Map.of("REST_GLOBAL_LIMIT", "3"));
        Route busy = route("POST", "/channels/111/messages");
        permit(acquire(busy)).complete(ok(1, 0, 10.0, "h"));
        List<CompletableFuture<Permit>> waiting = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            waiting.add(acquire(busy));
        }
        List<CompletableFuture<Permit>> others = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            others.add(acquire(route("GET", "/guilds/" + (500 + i))));
        }
        assertEquals(0, granted(waiting));
        assertEquals(2, granted(others), "the ten waiting requests took none of the global limit");
    }

    @Test
    void globalLimitAllowsNoMoreThanItsLimitInAnySecond() {
        limiter = limiter(Map.of("REST_GLOBAL_LIMIT", "5"));
        List<Long> sendTimes = new ArrayList<>();
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            sends.add(acquire(route("GET", "/guilds/" + (1000 + i))).thenAccept(p -> {
                sendTimes.add(clock.nanoTime());
                p.complete(Answer.parse(200, n -> null, null));
            }));
        }
        for (int ms = 0; ms < 10_000; ms += 10) {
            clock.advanceMillis(10);
        }
        assertEquals(40, sendTimes.size());
        sends.forEach(CompletableFuture::join); // a failure inside a send fails the test
        for (int i = 5; i < sendTimes.size(); i++) {
            assertTrue(sendTimes.get(i) - sendTimes.get(i - 5) >= 1_000_000_000L, "6 sends within one second");
        }
    }

    @Test
    void aGlobalSlotIsHeldUntilAWindowAfterItsAnswer() {
        limiter = limiter(Map.of("REST_GLOBAL_LIMIT", "1", "REST_RESET_MARGIN", "0ms"));
        Permit slow = permit(acquire(route("GET", "/guilds/1")));
        CompletableFuture<Permit> next = acquire(route("GET", "/guilds/2"));
        clock.advanceMillis(5_000);
        assertFalse(next.isDone(), "the first request has not been answered: Discord may not have counted it yet");
        slow.complete(Answer.parse(200, n -> null, null));
        clock.advanceMillis(999);
        assertFalse(next.isDone());
        clock.advanceMillis(1);
        assertTrue(next.isDone());
    }

    @Test
    void interactionCallbacksSkipASaturatedGlobalLimit() {
        limiter = limiter(Map.of("REST_GLOBAL_LIMIT", "2"));
        List<CompletableFuture<Permit>> others = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            others.add(acquire(route("GET", "/guilds/" + (1000 + i))));
        }
        assertEquals(2, others.stream().filter(CompletableFuture::isDone).count(), "the global limit is saturated");
        CompletableFuture<Permit> callback = acquire(route("POST", "/interactions/123/aW50ZXJhY3Rpb246abc/callback"));
        CompletableFuture<Permit> followUp = acquire(route("POST", "/webhooks/99/aW50ZXJhY3Rpb246xyz"));
        assertTrue(callback.isDone());
        assertTrue(followUp.isDone());
        assertEquals(0, permit(callback).waitedNanos());
    }

    @Test
    void aRequestThatCannotBeSentInTimeIsRejectedAtOnce() {
        Route send = route("POST", "/channels/111/messages");
        permit(acquire(send)).complete(ok(1, 0, 30.0, "h"));
        CompletableFuture<Permit> late = acquire(send, 5_000);
        Rejection r = rejection(late);
        assertEquals(Rejection.Reason.MAX_WAIT, r.reason());
        assertTrue(r.retryAfterSeconds() > 29, "retry_after says when the bucket resets");
    }

    @Test
    void aRequestWhoseWaitRunsOutIsRejectedAtItsDeadline() {
        Route send = route("POST", "/channels/111/messages");
        CompletableFuture<Permit> first = acquire(send);
        CompletableFuture<Permit> second = acquire(send, 2_000);
        assertFalse(second.isDone());
        clock.advanceMillis(2_001);
        assertEquals(Rejection.Reason.MAX_WAIT, rejection(second).reason());
        permit(first).complete(ok(5, 4, 1, "h"));
    }

    @Test
    void aRequestWithoutADeadlineWaitsAsLongAsItTakes() {
        Route send = route("POST", "/channels/111/messages");
        permit(acquire(send)).complete(ok(1, 0, 3_600.0, "h"));
        CompletableFuture<Permit> patient = limiter.acquire(new Ticket(BOT, send, Ticket.NO_DEADLINE, 0, false));
        clock.advanceMillis(3_599_000);
        assertFalse(patient.isDone(), "still waiting an hour on");
        clock.advanceMillis(1_100);
        permit(patient);
    }

    @Test
    void aFullBucketQueueTurnsTheNextRequestAwayButNotARetry() {
        limiter = limiter(Map.of("REST_QUEUE_MAX", "10", "REST_QUEUE_MAX_PER_BUCKET", "2"));
        Route send = route("POST", "/channels/111/messages");
        permit(acquire(send)).complete(ok(1, 0, 10.0, "h"));
        CompletableFuture<Permit> first = acquire(send);
        CompletableFuture<Permit> second = acquire(send);
        assertEquals(Rejection.Reason.QUEUE_FULL, rejection(acquire(send)).reason());
        CompletableFuture<Permit> retry = limiter.acquire(new Ticket(BOT, send, Ticket.NO_DEADLINE, 0, true));
        assertFalse(retry.isDone(), "a 429's retry keeps its place at the front");
        assertFalse(first.isDone() || second.isDone());
        // Another channel is another bucket with its own queue.
        permit(acquire(route("POST", "/channels/222/messages")));
    }

    @Test
    void aClientThatLeavesFreesItsPlaceAndItsSlot() {
        Route send = route("POST", "/channels/111/messages");
        permit(acquire(send)).complete(ok(1, 0, 1.0, "h"));
        CompletableFuture<Permit> leaving = acquire(send);
        CompletableFuture<Permit> staying = acquire(send);
        leaving.cancel(true);
        clock.advanceMillis(1_051);
        assertTrue(staying.isDone(), "the slot went to the next request, not the one that left");
    }

    @Test
    void anUnsentPermitGivesItsSlotBackAndALostOneHoldsItForAWindow() {
        Route send = route("POST", "/channels/111/messages");
        permit(acquire(send)).complete(ok(2, 1, 2.0, "h"));
        Permit p = permit(acquire(send));
        CompletableFuture<Permit> next = acquire(send);
        assertFalse(next.isDone());
        p.unsent();
        assertTrue(next.isDone());
        Permit lost = permit(next);
        lost.lost();
        CompletableFuture<Permit> after = acquire(send);
        assertFalse(after.isDone());
        clock.advanceMillis(2_051);
        assertTrue(after.isDone());
    }

    @Test
    void aUserScoped429BlocksItsBucketUntilRetryAfter() {
        Route send = route("POST", "/channels/111/messages");
        permit(acquire(send)).complete(ok(5, 4, 1.0, "h"));
        Permit p = permit(acquire(send));
        p.complete(rateLimited(Map.of("X-RateLimit-Limit", "5", "X-RateLimit-Remaining", "0",
                "X-RateLimit-Reset-After", "3.0", "X-RateLimit-Bucket", "h", "X-RateLimit-Scope", "user"),
                "{\"message\":\"You are being rate limited.\",\"retry_after\":3.0,\"global\":false}"));
        CompletableFuture<Permit> retry = limiter.acquire(new Ticket(BOT, send, clock.nanoTime() + 60_000_000_000L,
                0, true));
        assertFalse(retry.isDone());
        clock.advanceMillis(3_051);
        assertTrue(retry.isDone());
    }

    @Test
    void aGlobal429PausesTheWholeTokenButNotInteractions() {
        Route send = route("POST", "/channels/111/messages");
        Permit p = permit(acquire(send));
        p.complete(rateLimited(Map.of("X-RateLimit-Global", "true", "X-RateLimit-Scope", "global"),
                "{\"message\":\"You are being rate limited.\",\"retry_after\":2.0,\"global\":true}"));
        CompletableFuture<Permit> other = acquire(route("GET", "/guilds/5"));
        assertFalse(other.isDone());
        assertTrue(acquire(route("POST", "/interactions/1/aW50ZXJhY3Rpb246a/callback")).isDone());
        clock.advanceMillis(2_051);
        assertTrue(other.isDone());
    }

    @Test
    void aShared429DelaysOnlyThatResource() {
        Route a = route("POST", "/channels/111/messages");
        Route b = route("POST", "/channels/222/messages");
        permit(acquire(b)).complete(ok(5, 4, 1.0, "h"));
        Permit p = permit(acquire(a));
        p.complete(rateLimited(Map.of("X-RateLimit-Limit", "5", "X-RateLimit-Remaining", "4",
                "X-RateLimit-Reset-After", "0.5", "X-RateLimit-Bucket", "h", "X-RateLimit-Scope", "shared"),
                "{\"message\":\"The resource is being rate limited.\",\"retry_after\":6.0,\"global\":false}"));
        CompletableFuture<Permit> sameChannel = acquire(a);
        assertFalse(sameChannel.isDone());
        assertTrue(acquire(b).isDone());
        clock.advanceMillis(6_051);
        assertTrue(sameChannel.isDone());
    }

    @Test
    void aChannelRenameSublimitHoldsOnlyRenamesOfThatChannel() throws BadRouteException {
        long now = System.currentTimeMillis();
        Route rename = Route.parse("PATCH", "/channels/111", now, "{\"name\":\"x\"}".getBytes(StandardCharsets.UTF_8));
        Route otherEdit = Route.parse("PATCH", "/channels/111", now, "{\"nsfw\":true}".getBytes(StandardCharsets.UTF_8));
        permit(acquire(rename)).complete(ok(10, 9, 1.0, "chan"));
        Permit p = permit(acquire(rename));
        p.complete(rateLimited(Map.of("X-RateLimit-Limit", "10", "X-RateLimit-Remaining", "8",
                "X-RateLimit-Reset-After", "0.9", "X-RateLimit-Bucket", "chan"),
                "{\"message\":\"You are being rate limited.\",\"retry_after\":300.0,\"global\":false}"));
        assertEquals(Rejection.Reason.MAX_WAIT, rejection(acquire(rename, 10_000)).reason());
        assertTrue(acquire(otherEdit).isDone());
    }

    @Test
    void aCloudflareBanStopsEveryRequestOfTheToken() {
        Route send = route("POST", "/channels/111/messages");
        permit(acquire(send)).complete(ok(1, 0, 5.0, "h"));
        CompletableFuture<Permit> queued = acquire(send);
        Permit p = permit(acquire(route("GET", "/guilds/1")));
        p.complete(rateLimited(Map.of("Retry-After", "3600"), "error code: 1015"));
        assertEquals(Rejection.Reason.TOKEN_BANNED, rejection(queued).reason());
        assertEquals(Rejection.Reason.TOKEN_BANNED,
                rejection(acquire(route("POST", "/interactions/1/aW50ZXJhY3Rpb246a/callback"))).reason());
    }

    @Test
    void a401LocksTheTokenUntilAProbeSucceeds() {
        limiter = limiter(Map.of("REST_TOKEN_PROBE_INTERVAL", "30s"));
        Route me = route("GET", "/users/@me");
        permit(acquire(me)).complete(Answer.parse(401, n -> null, null));
        assertEquals(Rejection.Reason.TOKEN_LOCKED, rejection(acquire(me)).reason());
        clock.advanceMillis(30_000);
        Permit probe = permit(acquire(me));
        assertEquals(Rejection.Reason.TOKEN_LOCKED, rejection(acquire(me)).reason(), "one probe at a time");
        probe.complete(Answer.parse(200, n -> null, null));
        assertTrue(acquire(me).isDone());
    }

    @Test
    void theBreakerOpensBeforeTheInvalidRequestLimit() {
        limiter = limiter(Map.of("REST_INVALID_REQUEST_LIMIT", "100"));
        assertEquals(100, forwardedUntilTheBreakerOpens(10_000),
                "forwarding stopped at the threshold, far below Discord's 10,000");
    }

    /** Sends {@code attempts} requests that Discord answers 403, a second apart; how many went out. */
    private int forwardedUntilTheBreakerOpens(int attempts) {
        int forwarded = 0;
        for (int i = 0; i < attempts; i++) {
            CompletableFuture<Permit> f = acquire(route("GET", "/guilds/" + (1000 + i) + "/bans"));
            if (f.isCompletedExceptionally()) {
                assertEquals(Rejection.Reason.BREAKER_OPEN, rejection(f).reason());
                continue;
            }
            clock.advanceMillis(1_100);
            if (f.isDone()) {
                forwarded++;
                f.join().complete(Answer.parse(403, n -> null, null));
            }
        }
        return forwarded;
    }

    /** An interaction token as Discord issues them (base64 of {@code interaction:<id>:<secret>}). */
    private static String interactionToken(String secret) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("interaction:1234567890123456789:" + secret).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void a401OnARouteAuthenticatedByItsPathNeverLocksTheBotsToken() {
        Route expired = route("PATCH", "/webhooks/223456789012345678/" + interactionToken("old") + "/messages/@original");
        permit(acquire(expired)).complete(Answer.parse(401, n -> null, null));
        Route me = route("GET", "/users/@me");
        Permit bots = permit(acquire(me));
        bots.complete(Answer.parse(200, n -> null, null));

        // The bot's own token locked: a route with a token of its own still goes out, and teaches the lock nothing.
        permit(acquire(me)).complete(Answer.parse(401, n -> null, null));
        assertEquals(Rejection.Reason.TOKEN_LOCKED, rejection(acquire(me)).reason());
        Route fresh = route("POST", "/webhooks/223456789012345678/" + interactionToken("new"));
        permit(acquire(fresh)).complete(Answer.parse(200, n -> null, null));
        assertEquals(Rejection.Reason.TOKEN_LOCKED, rejection(acquire(me)).reason());
    }

    @Test
    void aDeadPathTokenAndADeletedWebhookAreRefusedHereForAnHour() {
        String app = "/webhooks/223456789012345678/";
        Route original = route("GET", app + interactionToken("expired") + "/messages/@original");
        permit(acquire(original)).complete(Answer.parse(401, n -> null, null));
        Rejection again = rejection(acquire(route("PATCH", app + interactionToken("expired") + "/messages/@original")));
        assertEquals(Rejection.Reason.INVALID_WEBHOOK_TOKEN, again.reason());
        assertEquals(401, again.reason().status());
        assertEquals(50027, again.reason().code());
        assertTrue(again.retryAfterSeconds() < 0, "waiting will not help");
        assertTrue(acquire(route("POST", app + interactionToken("other"))).isDone(), "another token of the app goes");

        // A 404 below the webhook is about a message; on the webhook itself it is the webhook, under every token.
        String hook = "/webhooks/323456789012345678/";
        permit(acquire(route("DELETE", hook + "sometoken/messages/423456789012345678")))
                .complete(Answer.parse(404, n -> null, null));
        assertFalse(acquire(route("POST", hook + "sometoken")).isCompletedExceptionally());
        clock.advanceMillis(1_000);
        permit(acquire(route("POST", hook + "sometoken/github"))).complete(Answer.parse(404, n -> null, null));
        for (String path : List.of(hook + "sometoken", hook + "othertoken/messages/423456789012345678", hook)) {
            Rejection gone = rejection(acquire(route("GET", path)));
            assertEquals(Rejection.Reason.UNKNOWN_WEBHOOK, gone.reason(), path);
            assertEquals(10015, gone.reason().code());
        }

        clock.advanceMillis(3_600_000);
        assertFalse(acquire(route("POST", hook + "sometoken")).isCompletedExceptionally(), "forgotten after an hour");
        assertFalse(acquire(original).isCompletedExceptionally(), "forgotten after an hour");
    }

    @Test
    void withRealLatencyTheGlobalLimitIsAlmostFullyUsedAndNeverExceededAtDiscord() {
        assertUtilisation(20, 40, 0.97);
        assertUtilisation(80, 120, 0.95);
    }

    /**
     * 200 requests kept waiting on a route that only the global limit (50/s) governs, each answered a round trip of
     * {@code minRtt}–{@code maxRtt} ms after its grant and arriving at Discord part of the way there (half the
     * shortest round trip plus a part of its own extra, so one-way times differ by no more than round trips do):
     * over 20 s after 2 s of warm-up, Discord must never see more than 50 in any second, and see at least
     * {@code goal} of 50 a second.
     */
    @SuppressWarnings("FutureReturnValueIgnored") // the callbacks only record grants; the assertions read the record
    private void assertUtilisation(int minRtt, int maxRtt, double goal) {
        limiter = limiter(Map.of("REST_GLOBAL_LIMIT", "50", "REST_RESET_MARGIN", "25ms"));
        Random random = new Random(7);
        Route route = route("GET", "/gateway/bot");
        long start = clock.nanoTime();
        PriorityQueue<long[]> answers = new PriorityQueue<>(Comparator.comparingLong(a -> a[0]));
        Map<Long, Permit> permits = new HashMap<>();
        List<Long> arrivals = new ArrayList<>();
        int[] waiting = {0};
        long[] ids = {0};
        for (long ms = 0; ms < 22_000; ms++) {
            while (waiting[0] < 200) {
                waiting[0]++;
                acquire(route, 3_600_000).thenAccept(p -> {
                    waiting[0]--;
                    long extra = (long) (random.nextDouble() * (maxRtt - minRtt) * 1_000_000L);
                    long granted = clock.nanoTime();
                    arrivals.add(granted + minRtt * 500_000L + (long) (random.nextDouble() * extra));
                    long id = ids[0]++;
                    permits.put(id, p);
                    answers.add(new long[] {granted + minRtt * 1_000_000L + extra, id});
                });
            }
            clock.advanceMillis(1);
            while (!answers.isEmpty() && answers.peek()[0] <= clock.nanoTime()) {
                permits.remove(answers.poll()[1]).complete(Answer.parse(200, n -> null, null));
            }
        }
        Collections.sort(arrivals);
        int most = 0;
        for (int lo = 0, hi = 0; hi < arrivals.size(); hi++) {
            while (arrivals.get(hi) - arrivals.get(lo) >= 1_000_000_000L) {
                lo++;
            }
            most = Math.max(most, hi - lo + 1);
        }
        assertTrue(most <= 50, most + " arrivals within one second at " + minRtt + "-" + maxRtt + " ms");
        long from = start + 2_000_000_000L;
        long counted = arrivals.stream().filter(a -> a >= from && a < from + 20_000_000_000L).count();
        double used = counted / (20.0 * 50);
        assertTrue(used >= goal, String.format("used %.3f of the global limit at %d-%d ms", used, minRtt, maxRtt));
    }

    private CompletableFuture<Permit> acquire(TokenId token, Route route) {
        return limiter.acquire(new Ticket(token, route, clock.nanoTime() + 60_000_000_000L, 0, false));
    }

    @Test
    void aTokenListedWithItsOwnGlobalLimitGetsItOthersTheDefault() {
        limiter = limiter(Map.of("REST_GLOBAL_LIMIT", "2", "REST_TOKEN_GLOBAL_LIMITS", BOT.fingerprint() + "=5"));
        Route gateway = route("GET", "/gateway/bot");
        TokenId other = TokenId.of("Bot another-token");
        for (TokenId token : List.of(BOT, other)) {
            permit(acquire(token, gateway)).complete(Answer.parse(200, n -> null, null)); // learns: global only
        }
        clock.advanceMillis(2_000);
        List<CompletableFuture<Permit>> bots = new ArrayList<>();
        List<CompletableFuture<Permit>> others = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            bots.add(acquire(BOT, gateway));
            others.add(acquire(other, gateway));
        }
        assertEquals(5, granted(bots), "the raised limit of the listed token");
        assertEquals(2, granted(others), "REST_GLOBAL_LIMIT for every other token");
    }

    @Test
    void aFloodOfTokensKeepsStateForAtMostTokenMaxButNeverForgetsABusyOne() {
        limiter = limiter(Map.of("REST_GLOBAL_LIMIT", "1", "REST_TOKEN_MAX", "10"));
        Route gateway = route("GET", "/gateway/bot");
        Permit held = permit(acquire(BOT, gateway));
        for (int i = 0; i < 1_000; i++) {
            permit(acquire(TokenId.of("Bot made-up-" + i), gateway)).complete(Answer.parse(401, n -> null, null));
            clock.advanceMillis(1_100); // each one's slot is out of its window before the next token comes
        }
        double kept = registry.get("shardgate.rest.tokens").gauge().value();
        assertTrue(kept <= 11, kept + " tokens kept with REST_TOKEN_MAX=10");
        assertTrue(registry.get("shardgate.rest.tokens.forgotten").counter().count() >= 989);
        // The busy token kept its state: its one global slot is still taken, so a second request waits.
        assertFalse(acquire(BOT, gateway).isDone(), "the token with a request in flight was not forgotten");
        held.complete(Answer.parse(200, n -> null, null));
    }

    @Test
    void aReplicaOnItsOwnOpensTheBreakerAtItsShareOfTheThreshold() {
        limiter = limiter(Map.of("REST_INVALID_REQUEST_LIMIT", "100"));
        limiter.setShare(0.5); // two replicas that cannot coordinate: each counts only its own answers
        assertEquals(50, forwardedUntilTheBreakerOpens(200),
                "half the threshold, so that two replicas together stay under it");
    }
}
