package dev.shardgate.simulator.events;

import dev.shardgate.protocol.Snowflake;

/**
 * The simulated bot's guilds: deterministic ids, so a restarted simulator or a second session of the same
 * shard sees the same guilds. Guild {@code k} of shard {@code s} in a bot of {@code n} shards has an id whose
 * {@code (id >> 22) % n == s}, as Discord's routing requires (discord-gateway.md §14.1). Stateless.
 */
public final class GuildCatalog {
    /** 2020-01-01T00:00:00Z in Discord-epoch milliseconds: guild creation times start here. */
    private static final long BASE = 1577836800000L - Snowflake.DISCORD_EPOCH_MS;
    /** Spreads consecutive guilds of a shard over time, like real guild creation dates. */
    private static final long SPREAD_MS = 86_413L;

    private GuildCatalog() {
    }

    /** The id of guild {@code index} of shard {@code shardId} of {@code shardCount}. */
    public static long guildId(int shardId, int shardCount, int index) {
        long base = BASE + Math.floorMod(-BASE, shardCount); // the first multiple of shardCount from BASE on
        long millis = base + shardId + (long) index * shardCount * SPREAD_MS;
        return (millis << 22) | ((index * 7L + shardId) & 0xFFF);
    }

    public static long[] guildIds(int shardId, int shardCount, int guildsPerShard) {
        long[] ids = new long[guildsPerShard];
        for (int i = 0; i < guildsPerShard; i++) {
            ids[i] = guildId(shardId, shardCount, i);
        }
        return ids;
    }

    /** The guild's text channel: created one millisecond after the guild. */
    public static long generalChannelId(long guildId) {
        return guildId + (1L << 22);
    }

    /** The guild's voice channel. */
    public static long voiceChannelId(long guildId) {
        return guildId + (2L << 22);
    }
}
