package dev.shardgate.protocol;

/** Discord ids: 64-bit unsigned integers whose top 42 bits are milliseconds since the Discord epoch. */
public final class Snowflake {
    public static final long DISCORD_EPOCH_MS = 1420070400000L;

    private Snowflake() {
    }

    /** Parses a snowflake as Discord sends it (a decimal string), rejecting anything else. */
    public static long parse(String id) {
        if (id == null || id.isEmpty() || id.length() > 20) {
            throw new IllegalArgumentException("not a snowflake: " + id);
        }
        try {
            return Long.parseUnsignedLong(id);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a snowflake: " + id, e);
        }
    }

    /** Unix epoch milliseconds at which the id was created. */
    public static long timestampMillis(long id) {
        return (id >>> 22) + DISCORD_EPOCH_MS;
    }

    /** The smallest id created at the given Unix epoch millisecond (useful to build ids in tests). */
    public static long fromTimestampMillis(long epochMillis) {
        return (epochMillis - DISCORD_EPOCH_MS) << 22;
    }

    /** The shard that receives a guild's events: {@code (guild_id >> 22) % shard_count}. */
    public static int shardFor(long guildId, int shardCount) {
        if (shardCount <= 0) {
            throw new IllegalArgumentException("shard count must be positive: " + shardCount);
        }
        return (int) Long.remainderUnsigned(guildId >>> 22, shardCount);
    }
}
