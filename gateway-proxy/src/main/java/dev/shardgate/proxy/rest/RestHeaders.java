package dev.shardgate.proxy.rest;

import java.util.Locale;
import java.util.Set;

/** The proxy's own headers and the headers it never forwards. Header names compare case-insensitively. */
public final class RestHeaders {
    /** Carries {@code REST_PROXY_SECRET} from client to proxy; never forwarded to Discord. */
    public static final String SECRET = "X-Shardgate-Secret";
    /** A client's own bound on how long its request may wait in the proxy, in seconds (e.g. {@code 2.5}). */
    public static final String MAX_WAIT = "X-Shardgate-Max-Wait";
    /** {@code true} on every answer the proxy made itself instead of Discord. */
    public static final String GENERATED = "X-Shardgate-Generated";
    /** On a generated answer, why the proxy made it (e.g. {@code max_wait}, {@code breaker_open}). */
    public static final String REASON = "X-Shardgate-Reason";

    private static final String OWN_PREFIX = "x-shardgate-";
    /** RFC 9110 §7.6.1 hop-by-hop headers, plus those Jetty's server and client set themselves. */
    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host",
            "content-length", "expect", "date");

    private RestHeaders() {
    }

    /** Whether a client header may be forwarded to Discord. */
    public static boolean forwardRequest(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return !HOP_BY_HOP.contains(n) && !n.startsWith(OWN_PREFIX) && !n.startsWith(":");
    }

    /** Whether one of Discord's response headers goes back to the client. */
    public static boolean forwardResponse(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return !HOP_BY_HOP.contains(n) && !n.startsWith(":");
    }
}
