package dev.shardgate.proxy.rest.limit;

/** Why the limiter answered a request itself instead of letting it go to Discord. */
public final class Rejection extends Exception {
    private static final long serialVersionUID = 1L;

    /** The reasons, each with the HTTP status the proxy answers with. */
    public enum Reason {
        /** The request could not be sent within its allowed wait. */
        MAX_WAIT(429, "the request could not be sent within its allowed wait"),
        /** The proxy holds as many requests as it may (REST_QUEUE_MAX, per bucket, or their bodies' bytes). */
        QUEUE_FULL(503, "the proxy's queue is full (REST_QUEUE_MAX, REST_QUEUE_MAX_PER_BUCKET or REST_QUEUE_MAX_MB); "
                + "try again later"),
        /** Too many invalid answers in 10 minutes: forwarding stopped so Cloudflare does not ban the IP. */
        BREAKER_OPEN(503, "the invalid-request breaker is open: too many 401/403/429 answers in 10 minutes"),
        /** Discord answered 401 for this token; it stays locked until a probe succeeds. */
        TOKEN_LOCKED(401, "401: Unauthorized (the token was rejected by Discord and is locked)"),
        /** Cloudflare refused this IP; all traffic of the token is paused. */
        TOKEN_BANNED(503, "Cloudflare refused requests from this IP; traffic is paused"),
        /** Discord answered 404 for this webhook within the last hour: deleted webhooks do not come back. */
        UNKNOWN_WEBHOOK(404, 10015, "Unknown Webhook (Discord answered 404 for this webhook; refused here for an "
                + "hour so that it does not count against the IP)"),
        /** Discord answered 401 for this webhook or interaction token within the last hour (expired, or revoked). */
        INVALID_WEBHOOK_TOKEN(401, 50027, "Invalid Webhook Token (Discord answered 401 for this token in the path; "
                + "refused here for an hour so that it does not count against the IP)");

        private final int status;
        private final int code;
        private final String message;

        Reason(int status, String message) {
            this(status, 0, message);
        }

        Reason(int status, int code, String message) {
            this.status = status;
            this.code = code;
            this.message = message;
        }

        public int status() {
            return status;
        }

        /** Discord's JSON error code for the answer (0 where Discord has none for it). */
        public int code() {
            return code;
        }

        public String message() {
            return message;
        }

        /** The {@code X-Shardgate-Reason} value. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Reason reason;
    private final double retryAfterSeconds;

    public Rejection(Reason reason, double retryAfterSeconds) {
        super(reason.message, null, false, false);
        this.reason = reason;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public Reason reason() {
        return reason;
    }

    /** How long the client should wait before trying again, in seconds; negative when waiting will not help. */
    public double retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
