package dev.shardgate.simulator.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardgate.protocol.Snowflake;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * Builds JSON shaped like Discord's objects (user, message, channel, guild, member, role, application), with
 * the fields client libraries read. Stateless apart from the bot's own ids; thread-safe.
 */
final class DiscordObjects {
    /** The simulated bot's user id, also its application id; the same as the simulated gateway's READY. */
    static final long BOT_ID = 1194611598950412289L;
    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'+00:00'").withZone(ZoneOffset.UTC);

    private final long botId;

    DiscordObjects(long botId) {
        this.botId = botId;
    }

    long botId() {
        return botId;
    }

    static String timestamp(long epochMillis) {
        return TIMESTAMP.format(Instant.ofEpochMilli(epochMillis));
    }

    ObjectNode botUser() {
        ObjectNode user = user(botId, "shardgate-sim");
        user.put("bot", true);
        user.put("verified", true);
        user.put("mfa_enabled", false);
        user.put("locale", "en-US");
        user.putNull("email");
        user.putNull("banner");
        user.putNull("accent_color");
        return user;
    }

    ObjectNode user(long id) {
        return id == botId ? botUser() : user(id, "user" + Long.remainderUnsigned(id, 1_000_000));
    }

    private ObjectNode user(long id, String username) {
        ObjectNode user = Json.MAPPER.createObjectNode();
        user.put("id", Long.toUnsignedString(id));
        user.put("username", username);
        user.putNull("global_name");
        user.putNull("avatar");
        user.put("discriminator", "0");
        user.put("public_flags", 0);
        user.put("flags", 0);
        user.putNull("avatar_decoration_data");
        return user;
    }

    ObjectNode message(long id, long channelId, ObjectNode payload, List<MessagePayload.Upload> uploads,
                       SnowflakeGenerator ids, Long webhookId) {
        ObjectNode message = Json.MAPPER.createObjectNode();
        message.put("type", 0);
        message.put("content", text(payload, "content"));
        message.set("mentions", Json.MAPPER.createArrayNode());
        message.set("mention_roles", Json.MAPPER.createArrayNode());
        ArrayNode attachments = message.putArray("attachments");
        for (MessagePayload.Upload upload : uploads) {
            String attachmentId = Long.toUnsignedString(ids.next());
            String url = "https://cdn.discordapp.com/attachments/" + Long.toUnsignedString(channelId) + "/"
                    + attachmentId + "/" + upload.filename();
            ObjectNode attachment = attachments.addObject();
            attachment.put("id", attachmentId);
            attachment.put("filename", upload.filename());
            attachment.put("size", upload.size());
            attachment.put("url", url);
            attachment.put("proxy_url", url.replace("cdn.discordapp.com", "media.discordapp.net"));
            attachment.put("content_type", upload.contentType());
        }
        message.set("embeds", arrayOrEmpty(payload, "embeds"));
        message.put("timestamp", timestamp(Snowflake.timestampMillis(id)));
        message.putNull("edited_timestamp");
        message.put("flags", payload.path("flags").asInt(0));
        message.set("components", arrayOrEmpty(payload, "components"));
        message.put("id", Long.toUnsignedString(id));
        message.put("channel_id", Long.toUnsignedString(channelId));
        ObjectNode author = botUser();
        if (webhookId != null) {
            message.put("webhook_id", Long.toUnsignedString(webhookId));
            message.put("application_id", Long.toUnsignedString(botId));
            author.put("id", Long.toUnsignedString(webhookId));
        }
        message.set("author", author);
        message.put("pinned", false);
        message.put("mention_everyone", false);
        message.put("tts", payload.path("tts").asBoolean(false));
        if (payload.has("nonce")) {
            message.set("nonce", payload.get("nonce"));
        }
        if (payload.has("message_reference")) {
            message.set("message_reference", payload.get("message_reference"));
        }
        return message;
    }

    /** Applies an edit's fields to a stored message and stamps {@code edited_timestamp}. */
    static void edit(ObjectNode message, ObjectNode payload, long nowMillis) {
        for (String field : List.of("content", "embeds", "components", "flags", "attachments")) {
            if (payload.has(field)) {
                message.set(field, payload.get(field));
            }
        }
        message.put("edited_timestamp", timestamp(nowMillis));
    }

    ObjectNode channel(long id) {
        ObjectNode channel = Json.MAPPER.createObjectNode();
        channel.put("id", Long.toUnsignedString(id));
        channel.put("type", 0);
        channel.put("name", "channel-" + Long.toUnsignedString(id));
        channel.putNull("topic");
        channel.put("position", 0);
        channel.put("nsfw", false);
        channel.putNull("last_message_id");
        channel.put("rate_limit_per_user", 0);
        channel.putNull("parent_id");
        channel.set("permission_overwrites", Json.MAPPER.createArrayNode());
        channel.put("flags", 0);
        return channel;
    }

    ObjectNode dmChannel(long id, long recipientId) {
        ObjectNode channel = Json.MAPPER.createObjectNode();
        channel.put("id", Long.toUnsignedString(id));
        channel.put("type", 1);
        channel.putNull("last_message_id");
        channel.put("flags", 0);
        channel.putArray("recipients").add(user(recipientId));
        return channel;
    }

    ObjectNode guild(long id, JsonNode roles) {
        ObjectNode guild = Json.MAPPER.createObjectNode();
        guild.put("id", Long.toUnsignedString(id));
        guild.put("name", "guild-" + Long.toUnsignedString(id));
        guild.putNull("icon");
        guild.putNull("splash");
        guild.putNull("banner");
        guild.putNull("description");
        guild.put("owner_id", Long.toUnsignedString(id + 1));
        guild.putNull("afk_channel_id");
        guild.put("afk_timeout", 300);
        guild.put("verification_level", 0);
        guild.put("default_message_notifications", 0);
        guild.put("explicit_content_filter", 0);
        guild.set("roles", roles);
        guild.set("emojis", Json.MAPPER.createArrayNode());
        guild.set("stickers", Json.MAPPER.createArrayNode());
        guild.set("features", Json.MAPPER.createArrayNode());
        guild.put("mfa_level", 0);
        guild.putNull("system_channel_id");
        guild.put("system_channel_flags", 0);
        guild.put("premium_tier", 0);
        guild.put("preferred_locale", "en-US");
        guild.put("nsfw_level", 0);
        guild.put("premium_progress_bar_enabled", false);
        return guild;
    }

    ObjectNode member(long userId, long joinedAtMillis) {
        ObjectNode member = Json.MAPPER.createObjectNode();
        member.set("user", user(userId));
        member.putNull("nick");
        member.putNull("avatar");
        member.set("roles", Json.MAPPER.createArrayNode());
        member.put("joined_at", timestamp(joinedAtMillis));
        member.putNull("premium_since");
        member.put("deaf", false);
        member.put("mute", false);
        member.put("flags", 0);
        member.put("pending", false);
        member.putNull("communication_disabled_until");
        return member;
    }

    static ObjectNode role(long id, String name, int position) {
        ObjectNode role = Json.MAPPER.createObjectNode();
        role.put("id", Long.toUnsignedString(id));
        role.put("name", name);
        role.put("color", 0);
        role.put("hoist", false);
        role.putNull("icon");
        role.putNull("unicode_emoji");
        role.put("position", position);
        role.put("permissions", "0");
        role.put("managed", false);
        role.put("mentionable", false);
        role.put("flags", 0);
        return role;
    }

    ObjectNode application() {
        ObjectNode app = Json.MAPPER.createObjectNode();
        app.put("id", Long.toUnsignedString(botId));
        app.put("name", "shardgate-sim");
        app.putNull("icon");
        app.put("description", "");
        app.put("summary", "");
        app.putNull("type");
        app.put("bot_public", true);
        app.put("bot_require_code_grant", false);
        app.put("verify_key", "0".repeat(64));
        app.put("flags", 0);
        app.set("owner", user(botId + 1));
        app.putNull("team");
        app.set("bot", botUser());
        app.put("approximate_guild_count", 1);
        app.set("redirect_uris", Json.MAPPER.createArrayNode());
        app.putNull("interactions_endpoint_url");
        app.set("tags", Json.MAPPER.createArrayNode());
        return app;
    }

    private static String text(JsonNode payload, String field) {
        JsonNode node = payload.get(field);
        return node == null || node.isNull() ? "" : node.asText();
    }

    private static ArrayNode arrayOrEmpty(JsonNode payload, String field) {
        JsonNode node = payload.get(field);
        return node instanceof ArrayNode array ? array : Json.MAPPER.createArrayNode();
    }
}
