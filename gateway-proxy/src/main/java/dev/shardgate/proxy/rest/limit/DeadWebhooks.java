package dev.shardgate.proxy.rest.limit;

import dev.shardgate.proxy.rest.route.Route;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Webhooks and path tokens Discord has said are gone, refused here instead of being sent again
 * (discord-rest-ratelimits.md §9: a webhook that answered 404 must not be used again; every 401 counts against the
 * IP's invalid-request limit). Two facts are remembered, each for {@link #TTL_NANOS}:
 * <ul>
 * <li>a 404 on the webhook itself ({@code /webhooks/:id}, {@code /webhooks/:id/:token}, their {@code /slack} and
 * {@code /github} forms): the webhook was deleted, for every token. A 404 below it ({@code /messages/:id}) is about
 * a message and teaches nothing about the webhook.</li>
 * <li>a 401 on a route authenticated by a token in its path (webhook tokens, interaction tokens, which expire after
 * 15 minutes): that token is dead, the webhook and the bot's own token are not.</li>
 * </ul>
 * Bounded: at most {@link #CAPACITY} entries, the least recently learned or used evicted first.
 *
 * <p>Threads: none; used only on the limiter's thread.
 */
final class DeadWebhooks {
    static final int CAPACITY = 10_000;
    static final long TTL_NANOS = 3_600_000_000_000L;
    private static final Pattern WEBHOOK_ITSELF =
            Pattern.compile("[A-Z]+ /webhooks/:id(/:token(/slack|/github)?)?");

    private final Map<String, Dead> dead = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Dead> eldest) {
            return size() > CAPACITY;
        }
    };

    private record Dead(Rejection.Reason reason, long until) {
    }

    /** Learns from Discord's answer to a request on {@code route}. */
    void learn(Route route, int status, long now) {
        if (status == 404 && route.major().kind().equals("webhook")
                && WEBHOOK_ITSELF.matcher(route.template()).matches()) {
            dead.put(webhookKey(route), new Dead(Rejection.Reason.UNKNOWN_WEBHOOK, now + TTL_NANOS));
        } else if (status == 401 && route.tokenInPath()) {
            dead.put(route.major().toString(), new Dead(Rejection.Reason.INVALID_WEBHOOK_TOKEN, now + TTL_NANOS));
        }
    }

    /** Why a request on {@code route} must not go out, or null when nothing is known against it. */
    Rejection.Reason refusal(Route route, long now) {
        String kind = route.major().kind();
        if (!kind.equals("webhook") && !kind.equals("interaction")) {
            return null;
        }
        Rejection.Reason reason = live(kind.equals("webhook") ? webhookKey(route) : null, now);
        return reason != null ? reason : live(route.major().toString(), now);
    }

    int size() {
        return dead.size();
    }

    private Rejection.Reason live(String key, long now) {
        if (key == null) {
            return null;
        }
        Dead d = dead.get(key);
        if (d == null) {
            return null;
        }
        if (now - d.until() >= 0) {
            dead.remove(key);
            return null;
        }
        return d.reason();
    }

    /** The webhook's id alone: deleted, it is gone under every token. */
    private static String webhookKey(Route route) {
        String value = route.major().value();
        int colon = value.indexOf(':');
        return "webhook:" + (colon < 0 ? value : value.substring(0, colon));
    }
}
