package dev.shardgate.worker;

import dev.shardgate.protocol.Snowflake;

/** Dispatch bodies shaped as Discord sends them (every field its documentation says is always present). */
public final class DiscordPayloads {
    private DiscordPayloads() {
    }

    /** A MESSAGE_CREATE {@code d}. */
    public static String message(String channelId, String content, boolean fromBot) {
        return "{\"id\":\"" + Snowflake.fromTimestampMillis(System.currentTimeMillis()) + "\",\"channel_id\":\""
                + channelId + "\",\"guild_id\":\"81384788765712384\",\"author\":{\"id\":\"80351110224678912\","
                + "\"username\":\"nelly\",\"discriminator\":\"0\",\"global_name\":\"Nelly\",\"avatar\":null"
                + (fromBot ? ",\"bot\":true" : "") + "},\"member\":{\"roles\":[],\"joined_at\":"
                + "\"2024-01-01T00:00:00.000000+00:00\",\"deaf\":false,\"mute\":false,\"flags\":0},\"content\":\""
                + content + "\",\"timestamp\":\"2026-01-01T00:00:00.000000+00:00\",\"edited_timestamp\":null,"
                + "\"tts\":false,\"mention_everyone\":false,\"mentions\":[],\"mention_roles\":[],\"attachments\":[],"
                + "\"embeds\":[],\"pinned\":false,\"type\":0,\"flags\":0,\"components\":[],\"nonce\":\"123\"}";
    }

    /** An INTERACTION_CREATE {@code d}: the slash command {@code name}, created now. */
    public static String command(long interactionId, String name) {
        return command(interactionId, name, "");
    }

    /** The same with the command's options, e.g. {@code [{"name":"text","type":3,"value":"hi"}]}. */
    public static String command(long interactionId, String name, String options) {
        return "{\"id\":\"" + interactionId + "\",\"application_id\":\"775799577604522054\",\"type\":2,"
                + "\"token\":\"abc\",\"version\":1,\"locale\":\"en-US\",\"guild_locale\":\"en-US\","
                + "\"app_permissions\":\"442368\",\"entitlements\":[],\"authorizing_integration_owners\":{\"0\":\"1\"},"
                + "\"context\":0,\"data\":{\"id\":\"866818195033292850\",\"name\":\"" + name + "\",\"type\":1"
                + (options.isEmpty() ? "" : ",\"options\":" + options) + "},"
                + "\"guild_id\":\"81384788765712384\",\"channel_id\":\"41771983423143937\","
                + "\"member\":{\"user\":{\"id\":\"80351110224678912\",\"username\":\"nelly\",\"discriminator\":\"0\","
                + "\"avatar\":null},\"roles\":[],\"joined_at\":\"2024-01-01T00:00:00.000000+00:00\",\"deaf\":false,"
                + "\"mute\":false,\"flags\":0,\"permissions\":\"2147483647\"}}";
    }

    /** A fresh interaction id: its snowflake says it was created now. */
    public static long freshId() {
        return Snowflake.fromTimestampMillis(System.currentTimeMillis());
    }
}
