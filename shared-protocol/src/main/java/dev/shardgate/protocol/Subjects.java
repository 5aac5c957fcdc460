package dev.shardgate.protocol;

import java.util.regex.Pattern;

/** The NATS subjects of CONTRACT.md, all under one configurable prefix. */
public record Subjects(String prefix) {
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_\\-]+");
    /** The JetStream stream that captures {@code {prefix}.events.>} unless configured otherwise. */
    public static final String DEFAULT_STREAM = "DISCORD_EVENTS";

    public Subjects {
        if (prefix == null || prefix.isEmpty()) {
            throw new IllegalArgumentException("SUBJECT_PREFIX must not be empty");
        }
        for (String token : prefix.split("\\.", -1)) {
            if (!TOKEN.matcher(token).matches()) {
                throw new IllegalArgumentException("SUBJECT_PREFIX '" + prefix
                        + "' must be dot-separated tokens of letters, digits, '_' or '-'");
            }
        }
    }

    /** {@code {prefix}.events.{shard}.{type}}: one dispatch. */
    public String event(int shard, String type) {
        return prefix + ".events." + shard + "." + type;
    }

    /** {@code {prefix}.events.>}: what the event stream captures. */
    public String allEvents() {
        return prefix + ".events.>";
    }

    /** {@code {prefix}.events.{shard}.>}: one shard's events, for ordered partitioned consumption. */
    public String shardEvents(int shard) {
        return prefix + ".events." + shard + ".>";
    }

    /** {@code {prefix}.events.*.{type}}: one event type across every shard. */
    public String eventType(String type) {
        return prefix + ".events.*." + type;
    }

    public String gatewayInfo() {
        return prefix + ".gateway.info";
    }

    public String gatewaySend(int shard) {
        return prefix + ".gateway.send." + shard;
    }

    public String chunks(String nonce) {
        return prefix + ".chunks." + nonce;
    }

    /** Whether a string can be used as one subject token (event names, nonces). */
    public static boolean isToken(String s) {
        return s != null && TOKEN.matcher(s).matches();
    }
}
