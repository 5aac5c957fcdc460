package dev.shardgate.proxy.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardgate.proxy.rest.RestStatus;
import dev.shardgate.proxy.rest.limit.LimiterStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntFunction;

/**
 * The REST role's part of {@code /status}: the limiter's snapshot (tokens, the busiest buckets, queue depth, the
 * invalid-request breaker) and the request and 429 counts, read from the same Micrometer counters {@code /metrics}
 * shows so the page and the dashboards never disagree. Until the REST role is attached (a process without it, or
 * before it started) the section says it is not running.
 *
 * <p>Thread-safe: the source is published through a volatile field; the snapshot is taken on the limiter's thread.
 */
final class RestSection {
    static final int MAX_BUCKETS = 100;
    /** The limiter thread answers in microseconds; a limiter that does not answer in this long is reported so. */
    private static final long WAIT_MILLIS = 1000;
    /** Every scope the limiter counts; all are shown, zero or not, so a person sees what is being counted. */
    private static final List<String> SCOPES = List.of("user", "global", "shared", "sublimit", "cloudflare");
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final MeterRegistry registry;
    private volatile IntFunction<CompletableFuture<RestStatus>> source;

    RestSection(MeterRegistry registry) {
        this.registry = registry;
    }

    void attach(IntFunction<CompletableFuture<RestStatus>> source) {
        this.source = source;
    }

    ObjectNode json() throws InterruptedException {
        IntFunction<CompletableFuture<RestStatus>> s = source;
        if (s == null) {
            return JSON.objectNode().put("running", false);
        }
        ObjectNode node = JSON.objectNode().put("running", true);
        node.set("requests", requests());
        node.set("ratelimited", rateLimited());
        RestStatus status;
        try {
            status = s.apply(MAX_BUCKETS).get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return node.put("error", "the limiter is closed: " + e.getCause());
        } catch (TimeoutException e) {
            return node.put("error", "the limiter did not answer within " + WAIT_MILLIS + " ms");
        }
        node.put("port", status.port())
                .put("share_mode", status.shareMode() == null ? null : status.shareMode().name());
        LimiterStatus l = status.limiter();
        node.put("share", l.share()).put("queued", l.queued()).put("bucket_count", l.bucketCount());
        node.putObject("breaker")
                .put("open", l.breaker().open())
                .put("invalid_requests", l.breaker().invalidRequests())
                .put("threshold", l.breaker().threshold())
                .put("closes_in_ms", l.breaker().closesInMillis());
        ArrayNode tokens = node.putArray("tokens");
        l.tokens().forEach(t -> tokens.addObject()
                .put("token", t.token())
                .put("state", t.state().name())
                .put("global_limit", t.globalLimit())
                .put("global_in_use", t.globalInUse())
                .put("global_queued", t.globalQueued())
                .put("paused_for_ms", t.pausedForMillis())
                .put("blocked_for_ms", t.blockedForMillis()));
        ArrayNode buckets = node.putArray("buckets");
        l.buckets().forEach(b -> {
            ObjectNode n = buckets.addObject()
                    .put("token", b.token())
                    .put("bucket", b.bucket())
                    .put("provisional", b.provisional())
                    .put("major", b.major())
                    .put("limit", b.limit())
                    .put("remaining", b.remaining())
                    .put("in_flight", b.inFlight())
                    .put("queued", b.queued())
                    .put("reset_in_ms", b.resetInMillis())
                    .put("blocked", b.blocked());
            ArrayNode routes = n.putArray("routes");
            b.routes().forEach(routes::add);
        });
        return node;
    }

    /** Answers to clients: the total, by status class, and how many the proxy gave itself (never sent to Discord). */
    private ObjectNode requests() {
        Map<String, Long> byClass = new TreeMap<>();
        long total = 0;
        long generated = 0;
        for (Counter c : registry.find("shardgate.rest.requests").counters()) {
            long n = (long) c.count();
            String status = c.getId().getTag("status");
            byClass.merge(status == null || status.isEmpty() ? "other" : status.charAt(0) + "xx", n, Long::sum);
            total += n;
            if ("true".equals(c.getId().getTag("generated"))) {
                generated += n;
            }
        }
        ObjectNode node = JSON.objectNode().put("total", total).put("generated", generated);
        ObjectNode classes = node.putObject("by_class");
        byClass.forEach(classes::put);
        return node;
    }

    /** 429 answers from Discord by scope: user or global ones mean something sends with the token around the proxy. */
    private ObjectNode rateLimited() {
        Map<String, Long> byScope = new TreeMap<>();
        SCOPES.forEach(scope -> byScope.put(scope, 0L));
        for (Counter c : registry.find("shardgate.rest.ratelimited").counters()) {
            String scope = c.getId().getTag("scope");
            byScope.merge(scope == null ? "other" : scope.toLowerCase(Locale.ROOT), (long) c.count(), Long::sum);
        }
        ObjectNode node = JSON.objectNode();
        SCOPES.forEach(scope -> node.put(scope, byScope.remove(scope)));
        byScope.forEach(node::put);
        return node;
    }
}
