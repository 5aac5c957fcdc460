package dev.shardgate.proxy.rest.route;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Whose limits a request counts against: a fingerprint of its {@code Authorization} value (SHA-256, first
 * 8 bytes), so limiter state, log lines and NATS subjects can name a token without containing it.
 */
public record TokenId(String fingerprint) {
    /** The limits of requests that carry no credentials at all (counted per IP by Discord). */
    public static final TokenId ANONYMOUS = new TokenId("anonymous");

    public static TokenId of(String authorization) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(authorization.getBytes(StandardCharsets.UTF_8));
            return new TokenId(HexFormat.of().formatHex(digest, 0, 8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "token:" + fingerprint;
    }
}
