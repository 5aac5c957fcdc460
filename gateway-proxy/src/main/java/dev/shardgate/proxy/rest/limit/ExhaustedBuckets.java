package dev.shardgate.proxy.rest.limit;

import dev.shardgate.proxy.rest.route.Route;
import dev.shardgate.proxy.rest.route.TokenId;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Buckets that Discord said are used up, by token and route, until when: learnt from other replicas' limiters
 * (a leader tells every answer that leaves a bucket with nothing), so that a replica taking over does not spend a
 * request on a bucket whose window is known to be full. At most {@value #MAX} entries, the oldest forgotten.
 *
 * <p>Owned by the limiter thread; not thread-safe.
 */
final class ExhaustedBuckets {
    static final int MAX = 10_000;

    record Exhausted(TokenId token, Route route, long until) { }

    private final LinkedHashMap<String, Exhausted> entries = new LinkedHashMap<>();

    void remember(TokenId token, Route route, long until, long now) {
        String key = token.fingerprint() + ' ' + route.template() + ' ' + route.major();
        Exhausted old = entries.remove(key);
        entries.put(key, new Exhausted(token, route, old == null ? until : Math.max(until, old.until())));
        for (Iterator<Exhausted> it = entries.values().iterator(); it.hasNext(); ) {
            Exhausted e = it.next();
            if (e.until() <= now || entries.size() > MAX) {
                it.remove();
            } else {
                break;
            }
        }
    }

    /** The entries whose bucket is still used up at {@code now}. */
    Iterable<Exhausted> current(long now) {
        entries.values().removeIf(e -> e.until() <= now);
        return List.copyOf(entries.values());
    }
}
