package dev.shardgate.protocol;

import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;

/**
 * A bot token. {@link #toString()} never shows it, so it cannot leak through a log line or an exception
 * message by accident; only {@link #reveal()} gives the secret, at the few places that send it to Discord.
 */
public final class BotToken {
    private final String secret;

    private BotToken(String secret) {
        this.secret = secret;
    }

    /** Accepts the token with or without its {@code Bot } prefix. */
    public static BotToken of(String token) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("DISCORD_TOKEN is empty");
        }
        String t = token.strip();
        if (t.startsWith("Bot ")) {
            t = t.substring(4).strip();
        }
        if (t.isEmpty() || t.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
            throw new IllegalArgumentException("DISCORD_TOKEN contains whitespace or non-ASCII characters");
        }
        return new BotToken(t);
    }

    /** The bare token, as Identify and Resume carry it. */
    public String reveal() {
        return secret;
    }

    /** {@code Bot <token>}, the REST Authorization header value. */
    public String authorization() {
        return "Bot " + secret;
    }

    /** Constant-time comparison, for checking a presented token without a timing side channel. */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(secret.getBytes(StandardCharsets.UTF_8),
                BotToken.of(presented).secret.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BotToken other && MessageDigest.isEqual(
                secret.getBytes(StandardCharsets.UTF_8), other.secret.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int hashCode() {
        return secret.hashCode();
    }

    @Override
    public String toString() {
        return "BotToken[redacted]";
    }
}
