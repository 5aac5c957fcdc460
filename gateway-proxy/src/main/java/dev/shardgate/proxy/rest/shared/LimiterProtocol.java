package dev.shardgate.proxy.rest.shared;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.proxy.rest.limit.Answer;
import dev.shardgate.proxy.rest.limit.RateLimitScope;
import dev.shardgate.proxy.rest.route.MajorParameter;
import dev.shardgate.proxy.rest.route.Route;
import java.io.IOException;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * The messages replicas exchange with the leader's limiter over NATS, as JSON. Times are relative milliseconds,
 * since replicas do not share a monotonic clock. Nothing here carries a token: only its fingerprint.
 */
final class LimiterProtocol {
    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .setDefaultPropertyInclusion(JsonInclude.Include.NON_NULL);

    private LimiterProtocol() {
    }

    /**
     * A follower asks for a permit. {@code rid} names the request for its cancel; {@code term} is the newest leader
     * term the follower knows, so that a leader that has been replaced learns it and refuses.
     */
    record Acquire(String rid, String token, String method, String template, String majorKind, String majorValue,
                   boolean exempt, String sublimit, long deadlineMillis, long notBeforeMillis, boolean retry,
                   long term) {
        static Acquire of(String rid, String token, Route r, long deadlineMillis, long notBeforeMillis, boolean retry,
                          long term) {
            return new Acquire(rid, token, r.method(), r.template(), r.major().kind(), r.major().value(),
                    r.globalExempt(), r.sublimit().orElse(null), deadlineMillis, notBeforeMillis, retry, term);
        }

        Route route() {
            return new Route(method, template, new MajorParameter(majorKind, majorValue), exempt,
                    Optional.ofNullable(sublimit));
        }
    }

    /**
     * The leader's answer: a permit id, a rejection with its wait, or {@code notLeader}; {@code term} is the
     * answering leader's term (the KV revision at which it took the lease), which fences a deposed leader's permits.
     */
    record Reply(String permit, long waitedNanos, String rejected, double retryAfter, boolean notLeader, long term) {
        static Reply notLeader(long term) {
            return new Reply(null, 0, null, 0, true, term);
        }
    }

    /** A follower ends a permit: {@code end} is answered, unsent or lost. */
    record End(String permit, String end, int status, Integer limit, Integer remaining, Double resetAfter,
               String bucket, String scope, double retryAfter) {
        static End answered(String permit, Answer a) {
            return new End(permit, "answered", a.status(), a.limit().isPresent() ? a.limit().getAsInt() : null,
                    a.remaining().isPresent() ? a.remaining().getAsInt() : null,
                    a.resetAfterSeconds().isPresent() ? a.resetAfterSeconds().getAsDouble() : null,
                    a.bucket().orElse(null), a.scope().name(), a.retryAfterSeconds());
        }

        Answer answer() {
            return new Answer(status, limit == null ? OptionalInt.empty() : OptionalInt.of(limit),
                    remaining == null ? OptionalInt.empty() : OptionalInt.of(remaining),
                    resetAfter == null ? OptionalDouble.empty() : OptionalDouble.of(resetAfter),
                    Optional.ofNullable(bucket), RateLimitScope.valueOf(scope), retryAfter);
        }
    }

    record Cancel(String rid) { }

    /** A limiter saw a route's bucket used up, for {@code forMillis} from now (published to every replica). */
    record Exhausted(String token, String method, String template, String majorKind, String majorValue,
                     long forMillis) {
        static Exhausted of(String token, Route r, long forMillis) {
            return new Exhausted(token, r.method(), r.template(), r.major().kind(), r.major().value(), forMillis);
        }

        /** Enough of the route to find its bucket: its template and major parameter. */
        Route route() {
            return new Route(method, template, new MajorParameter(majorKind, majorValue), false, Optional.empty());
        }
    }

    static byte[] write(Object message) {
        try {
            return JSON.writeValueAsBytes(message);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode " + message.getClass().getSimpleName(), e);
        }
    }

    static <T> T read(byte[] data, Class<T> type) throws IOException {
        return JSON.readValue(data, type);
    }
}
