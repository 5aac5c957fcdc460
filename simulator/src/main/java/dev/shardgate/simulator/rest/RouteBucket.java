package dev.shardgate.simulator.rest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * The simulator's per-route rate-limit buckets: Discord's table as data. Several endpoints name the same
 * bucket and so share its opaque hash ({@code X-RateLimit-Bucket}); the state of a bucket is kept per major
 * parameter. The default sizes follow Discord's advertised headers and community measurements
 * (docs/discord-rest-ratelimits.md §10); Discord says they are not constants, so tests may change them.
 */
public enum RouteBucket {
    CREATE_MESSAGE(5, Duration.ofSeconds(5)),
    /** Get one message and list messages share one bucket. */
    READ_MESSAGES(5, Duration.ofSeconds(1)),
    EDIT_MESSAGE(5, Duration.ofSeconds(5)),
    DELETE_MESSAGE(5, Duration.ofSeconds(1)),
    /** Deletes of messages older than 14 days (by snowflake) are paced apart (2026 measurement: 30 per 4 s). */
    DELETE_OLD_MESSAGE(30, Duration.ofSeconds(4)),
    BULK_DELETE(1, Duration.ofSeconds(1)),
    /** Every reaction route of a channel, whatever the emoji or user. */
    REACTIONS(1, Duration.ofMillis(250)),
    GET_CHANNEL(5, Duration.ofSeconds(1)),
    EDIT_CHANNEL(5, Duration.ofSeconds(5)),
    TYPING(5, Duration.ofSeconds(5)),
    GET_GUILD(5, Duration.ofSeconds(1)),
    GET_MEMBER(5, Duration.ofSeconds(1)),
    LIST_MEMBERS(10, Duration.ofSeconds(10)),
    MODIFY_MEMBER(10, Duration.ofSeconds(10)),
    /** Adding and removing a member's role share one bucket. */
    MEMBER_ROLES(10, Duration.ofSeconds(10)),
    GET_ROLES(5, Duration.ofSeconds(1)),
    /** Create, modify and delete role share one bucket. */
    MODIFY_ROLES(10, Duration.ofSeconds(10)),
    INTERACTION_CALLBACK(5, Duration.ofSeconds(5)),
    /** Webhook executions and interaction follow-ups. */
    EXECUTE_WEBHOOK(5, Duration.ofSeconds(2)),
    /** Get, edit and delete of webhook messages, {@code @original} included. */
    WEBHOOK_MESSAGE(5, Duration.ofSeconds(1)),
    CURRENT_USER(5, Duration.ofSeconds(5)),
    GET_USER(5, Duration.ofSeconds(1)),
    CREATE_DM(5, Duration.ofSeconds(5)),
    APPLICATION(5, Duration.ofSeconds(5)),
    APPLICATION_COMMANDS(5, Duration.ofSeconds(20)),
    /**
     * The hidden channel name/topic sublimit (about 2 per 10 minutes per channel, per discord.js). It is never
     * advertised in headers: its 429 carries {@link #EDIT_CHANNEL}'s headers with remaining above zero.
     */
    CHANNEL_RENAME(2, Duration.ofMinutes(10));

    @SuppressWarnings("ImmutableEnumChecker") // a record of an int, a Duration and a boolean: immutable
    private final RateLimit defaultLimit;
    private final String hash;

    RouteBucket(int limit, Duration window) {
        this.defaultLimit = new RateLimit(limit, window);
        this.hash = opaqueHash(name());
    }

    public RateLimit defaultLimit() {
        return defaultLimit;
    }

    /** The value of {@code X-RateLimit-Bucket}: stable, opaque, 32 hex digits like Discord's. */
    public String hash() {
        return hash;
    }

    private static String opaqueHash(String name) {
        try {
            byte[] digest = MessageDigest.getInstance("MD5")
                    .digest(("shardgate-simulator:" + name).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("MD5 is part of every JDK", e);
        }
    }
}
