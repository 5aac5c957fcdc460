package dev.shardgate.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** The NATS subjects of CONTRACT.md, all under one configurable prefix. */
public record Subjects(String prefix) {
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_\\-]+");
    /** Discord's longest event names are under 40 characters; anything much longer is not one. */
    public static final int MAX_EVENT_TOKEN = 64;
    /** Starts the token of an event type that cannot be a subject token; never the start of a plain token. */
    public static final String ENCODED_EVENT_MARK = "~";
    /** The JetStream stream that captures {@code {prefix}.events.>} unless configured otherwise. */
    public static final String DEFAULT_STREAM = "DISCORD_EVENTS";
    /** The stream that keeps dead letters ({@code {prefix}.deadletter.>}) unless configured otherwise. */
    public static final String DEFAULT_DEAD_LETTER_STREAM = "DISCORD_DEADLETTER";

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

    /** {@code {prefix}.events.{shard}.{token}}: one dispatch; the token is {@link #eventToken(String)} of its type. */
    public String event(int shard, String type) {
        return prefix + ".events." + shard + "." + eventToken(type);
    }

    /** {@code {prefix}.events.>}: what the event stream captures. */
    public String allEvents() {
        return prefix + ".events.>";
    }

    /** {@code {prefix}.events.{shard}.>}: one shard's events, for ordered partitioned consumption. */
    public String shardEvents(int shard) {
        return prefix + ".events." + shard + ".>";
    }

    public String gatewayInfo() {
        return prefix + ".gateway.info";
    }

    /** {@code {prefix}.gateway.status}: every proxy instance answers with the shards it holds (for gateway.info). */
    public String gatewayStatus() {
        return prefix + ".gateway.status";
    }

    public String gatewaySend(int shard) {
        return prefix + ".gateway.send." + shard;
    }

    public String chunks(String nonce) {
        return prefix + ".chunks." + nonce;
    }

    /** {@code {prefix}.deadletter.>}: what the dead-letter stream captures (workers' and the proxy's). */
    public String deadLetters() {
        return prefix + ".deadletter.>";
    }

    /** {@code {prefix}.deadletter.proxy.{shard}}: events the gateway proxy could not store in the event stream. */
    public String proxyDeadLetter(int shard) {
        return prefix + ".deadletter.proxy." + shard;
    }

    /** Whether a string can be used as one subject token (event names, nonces). */
    public static boolean isToken(String s) {
        return s != null && TOKEN.matcher(s).matches();
    }

    /**
     * The subject token of an event type. A type that is a plain token (letters, digits, '_' or '-') of at most
     * {@value #MAX_EVENT_TOKEN} characters, as every Discord event name is, is its own token. Anything else (empty,
     * '.', '*', '>', whitespace, control or non-ASCII characters, absurd length) would break the subject or land on
     * another one, so it becomes {@code ~} followed by the first 32 hex digits of the SHA-256 of its UTF-8 bytes:
     * always one safe token of 33 characters, the same for the same type, and never equal to a plain token
     * ({@code ~} is not in their alphabet). The {@code Discord-Event} header keeps the type itself.
     */
    public static String eventToken(String type) {
        if (type != null && type.length() <= MAX_EVENT_TOKEN && isToken(type)) {
            return type;
        }
        byte[] utf8 = (type == null ? "" : type).getBytes(StandardCharsets.UTF_8);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(utf8);
            return ENCODED_EVENT_MARK + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
