package dev.shardgate.simulator.events;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardgate.protocol.Intents;
import dev.shardgate.protocol.Snowflake;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Builds realistic (trimmed) dispatch payloads, shaped like discord-gateway.md §19: READY, GUILD_CREATE, the
 * background events, and the replies to commands. Ids are snowflakes with the current time. Thread-safe
 * (the only mutable state is an atomic id counter), so the event generator and the gateway loop share one.
 */
public final class EventFactory {
    /** The simulated bot user, also its application id. */
    public static final long BOT_USER_ID = 1194611598950412289L;
    private static final int GUILD_MESSAGE_REACTIONS = 1 << 10;
    private static final int GUILD_MESSAGE_TYPING = 1 << 11;
    private static final String[] USERNAMES = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
        "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "zoe"};
    private static final String[] CHATTER = {"hello there", "anyone around?", "gg", "that build is green now",
        "lunch?", "see the release notes", "brb", "nice", "who broke main", "ship it"};
    private static final String[] EMOJI = {"👍", "🎉", "😂", "🔥", "✅"};
    private static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'+00:00'")
            .withZone(ZoneOffset.UTC);
    private static final String JOINED_AT = "2021-03-15T10:00:00.000000+00:00";

    private final ObjectMapper json = new ObjectMapper();
    private final Clock clock;
    private final AtomicLong increment = new AtomicLong();

    public EventFactory(Clock clock) {
        this.clock = clock;
    }

    /** A new snowflake created now. */
    public long newId() {
        return Snowflake.fromTimestampMillis(clock.millis()) | (increment.getAndIncrement() & 0x3FFFFF);
    }

    public byte[] ready(String sessionId, int shardId, int shardCount, String resumeGatewayUrl, long[] guildIds) {
        ObjectNode d = json.createObjectNode();
        d.put("v", 10);
        d.set("user", botUser());
        ArrayNode guilds = d.putArray("guilds");
        for (long id : guildIds) {
            guilds.addObject().put("id", Long.toUnsignedString(id)).put("unavailable", true);
        }
        d.put("session_id", sessionId);
        d.put("resume_gateway_url", resumeGatewayUrl);
        d.putArray("shard").add(shardId).add(shardCount);
        d.putObject("application").put("id", Long.toString(BOT_USER_ID)).put("flags", 8912896);
        // Undocumented, but Discord sends them to bots (empty) and clients such as JDA require private_channels.
        d.putArray("private_channels");
        d.putArray("presences");
        d.putArray("relationships");
        d.putArray("guild_join_requests");
        d.putObject("user_settings");
        d.put("session_type", "normal");
        return bytes(d);
    }

    /**
     * GUILD_CREATE: every field of Discord's guild object that is not optional (nullable ones as null), plus the
     * GUILD_CREATE extras (§9.2). Clients build their cache from it and may reject a guild missing a field.
     */
    public byte[] guildCreate(long guildId, int index) {
        String gid = Long.toUnsignedString(guildId);
        ObjectNode d = json.createObjectNode();
        d.put("id", gid);
        d.put("name", "Simulated Guild " + index);
        d.putNull("icon");
        d.putNull("splash");
        d.putNull("discovery_splash");
        d.put("owner_id", userId(index));
        d.putNull("afk_channel_id");
        d.put("afk_timeout", 300);
        d.put("widget_enabled", false);
        d.put("verification_level", 1);
        d.put("default_message_notifications", 1);
        d.put("explicit_content_filter", 0);
        d.put("mfa_level", 0);
        d.putNull("application_id");
        d.put("system_channel_id", Long.toUnsignedString(GuildCatalog.generalChannelId(guildId)));
        d.put("system_channel_flags", 0);
        d.putNull("rules_channel_id");
        d.put("max_members", 25000000);
        d.putNull("vanity_url_code");
        d.putNull("description");
        d.putNull("banner");
        d.put("premium_tier", 0);
        d.put("premium_subscription_count", 0);
        d.put("preferred_locale", "en-US");
        d.putNull("public_updates_channel_id");
        d.put("max_video_channel_users", 25);
        d.put("max_stage_video_channel_users", 50);
        d.put("nsfw_level", 0);
        d.put("premium_progress_bar_enabled", false);
        d.putNull("safety_alerts_channel_id");
        d.putNull("incidents_data");
        d.put("large", false);
        d.put("member_count", poolMembers(guildId) + 1);
        d.put("joined_at", JOINED_AT);
        d.put("unavailable", false);
        d.putArray("features");
        ArrayNode roles = d.putArray("roles");
        ObjectNode everyone = roles.addObject().put("id", gid).put("name", "@everyone")
                .put("permissions", "1071698660929").put("position", 0).put("color", 0);
        everyone.putObject("colors").put("primary_color", 0).putNull("secondary_color").putNull("tertiary_color");
        everyone.put("hoist", false).putNull("icon").putNull("unicode_emoji").put("managed", false)
                .put("mentionable", false).put("flags", 0);
        ArrayNode channels = d.putArray("channels");
        ObjectNode general = channel(channels, GuildCatalog.generalChannelId(guildId), 0, "general", 0);
        general.putNull("topic").put("nsfw", false).putNull("last_message_id").put("rate_limit_per_user", 0);
        ObjectNode voice = channel(channels, GuildCatalog.voiceChannelId(guildId), 2, "Voice", 1);
        voice.put("bitrate", 64000).put("user_limit", 0).putNull("rtc_region").put("nsfw", false)
                .putNull("last_message_id").put("rate_limit_per_user", 0);
        ArrayNode members = d.putArray("members");
        ObjectNode self = members.addObject();
        self.set("user", botUser());
        self.putArray("roles");
        self.putNull("nick").putNull("avatar").putNull("premium_since");
        self.put("joined_at", JOINED_AT).put("deaf", false).put("mute", false).put("flags", 0);
        d.putArray("presences");
        d.putArray("voice_states");
        d.putArray("threads");
        d.putArray("stage_instances");
        d.putArray("guild_scheduled_events");
        d.putArray("soundboard_sounds");
        d.putArray("emojis");
        d.putArray("stickers");
        return bytes(d);
    }

    /** A guild channel as GUILD_CREATE lists it (without {@code guild_id}, which clients take from the guild). */
    private static ObjectNode channel(ArrayNode channels, long id, int type, String name, int position) {
        ObjectNode c = channels.addObject().put("id", Long.toUnsignedString(id)).put("type", type).put("name", name)
                .put("position", position).put("flags", 0).putNull("parent_id");
        c.putArray("permission_overwrites");
        return c;
    }

    /** One random background event for the guild. */
    public SimEvent randomEvent(long guildId) {
        int roll = ThreadLocalRandom.current().nextInt(100);
        if (roll < 45) {
            return messageCreate(guildId, roll < 10 ? "!ping" : pick(CHATTER));
        } else if (roll < 55) {
            return interactionCreate(guildId, "ping");
        } else if (roll < 70) {
            return typingStart(guildId);
        } else if (roll < 82) {
            return reactionAdd(guildId);
        } else if (roll < 94) {
            return presenceUpdate(guildId);
        }
        return guildMemberAdd(guildId);
    }

    public SimEvent messageCreate(long guildId, String content) {
        int u = randomUser();
        ObjectNode d = json.createObjectNode();
        long id = newId();
        d.put("id", Long.toUnsignedString(id));
        d.put("channel_id", Long.toUnsignedString(GuildCatalog.generalChannelId(guildId)));
        d.put("guild_id", Long.toUnsignedString(guildId));
        d.put("channel_type", 0);
        d.set("author", user(u));
        d.set("member", member(null));
        d.put("content", content);
        d.put("timestamp", ISO.format(Instant.ofEpochMilli(Snowflake.timestampMillis(id))));
        d.putNull("edited_timestamp");
        d.put("tts", false).put("mention_everyone", false);
        d.putArray("mentions");
        d.putArray("mention_roles");
        d.putArray("attachments");
        d.putArray("embeds");
        d.putArray("components");
        d.put("pinned", false).put("type", 0).put("flags", 0).put("nonce", Long.toUnsignedString(id - 1));
        byte[] full = bytes(d);
        d.put("content", "");
        return new SimEvent("MESSAGE_CREATE", guildId, Intents.GUILD_MESSAGES, full, bytes(d));
    }

    public SimEvent interactionCreate(long guildId, String commandName) {
        String gid = Long.toUnsignedString(guildId);
        String channel = Long.toUnsignedString(GuildCatalog.generalChannelId(guildId));
        long id = newId();
        ObjectNode d = json.createObjectNode();
        d.put("id", Long.toUnsignedString(id));
        d.put("application_id", Long.toString(BOT_USER_ID));
        d.put("type", 2);
        d.putObject("data").put("id", "1434482166988935169").put("name", commandName).put("type", 1);
        d.put("guild_id", gid);
        ObjectNode guild = d.putObject("guild").put("id", gid).put("locale", "en-US");
        guild.putArray("features");
        d.put("channel_id", channel);
        d.putObject("channel").put("id", channel).put("type", 0).put("name", "general").put("guild_id", gid);
        d.set("member", member(user(randomUser())).put("permissions", "2248473465835073"));
        d.put("token", interactionToken(id));
        d.put("version", 1);
        d.put("app_permissions", "2248473465835073");
        d.put("locale", "en-US").put("guild_locale", "en-US");
        d.putArray("entitlements");
        d.putObject("authorizing_integration_owners").put("0", gid);
        d.put("context", 0);
        d.put("attachment_size_limit", 10485760);
        return new SimEvent("INTERACTION_CREATE", guildId, 0, bytes(d), null);
    }

    public SimEvent typingStart(long guildId) {
        ObjectNode d = json.createObjectNode();
        int u = randomUser();
        d.put("channel_id", Long.toUnsignedString(GuildCatalog.generalChannelId(guildId)));
        d.put("guild_id", Long.toUnsignedString(guildId));
        d.put("user_id", userId(u));
        d.put("timestamp", clock.millis() / 1000);
        d.set("member", member(user(u)));
        return new SimEvent("TYPING_START", guildId, GUILD_MESSAGE_TYPING, bytes(d), null);
    }

    public SimEvent reactionAdd(long guildId) {
        ObjectNode d = json.createObjectNode();
        int u = randomUser();
        d.put("user_id", userId(u));
        d.put("type", 0);
        d.put("channel_id", Long.toUnsignedString(GuildCatalog.generalChannelId(guildId)));
        d.put("message_id", Long.toUnsignedString(newId()));
        d.put("guild_id", Long.toUnsignedString(guildId));
        d.set("member", member(user(u)));
        d.putObject("emoji").putNull("id").put("name", pick(EMOJI));
        d.put("burst", false);
        d.putArray("burst_colors");
        return new SimEvent("MESSAGE_REACTION_ADD", guildId, GUILD_MESSAGE_REACTIONS, bytes(d), null);
    }

    public SimEvent presenceUpdate(long guildId) {
        ObjectNode d = json.createObjectNode();
        d.putObject("user").put("id", userId(randomUser()));
        d.put("guild_id", Long.toUnsignedString(guildId));
        String status = pick(new String[] {"online", "idle", "dnd", "offline"});
        d.put("status", status);
        d.putArray("activities");
        d.putObject("client_status").put("desktop", status);
        return new SimEvent("PRESENCE_UPDATE", guildId, Intents.GUILD_PRESENCES, bytes(d), null);
    }

    public SimEvent guildMemberAdd(long guildId) {
        ObjectNode d = member(user(randomUser()));
        d.put("guild_id", Long.toUnsignedString(guildId));
        d.put("joined_at", ISO.format(clock.instant()));
        return new SimEvent("GUILD_MEMBER_ADD", guildId, Intents.GUILD_MEMBERS, bytes(d), null);
    }

    public byte[] voiceStateUpdate(String guildId, String channelId, boolean selfMute, boolean selfDeaf,
                                   String sessionId) {
        ObjectNode d = json.createObjectNode();
        d.put("guild_id", guildId);
        if (channelId == null) {
            d.putNull("channel_id");
        } else {
            d.put("channel_id", channelId);
        }
        d.put("user_id", Long.toString(BOT_USER_ID));
        ObjectNode member = member(botUser());
        d.set("member", member);
        d.put("session_id", sessionId);
        d.put("deaf", false).put("mute", false).put("self_deaf", selfDeaf).put("self_mute", selfMute)
                .put("self_video", false).put("suppress", false).putNull("request_to_speak_timestamp");
        return bytes(d);
    }

    public byte[] voiceServerUpdate(String guildId) {
        ObjectNode d = json.createObjectNode();
        d.put("token", Long.toHexString(newId()));
        d.put("guild_id", guildId);
        d.put("endpoint", "voice-sim.discord.media:443");
        return bytes(d);
    }

    /**
     * One chunk answering op 8, with the requested members: the bot itself if {@code withBot}, then
     * {@code userIndexes} into the user pool.
     */
    public byte[] guildMembersChunk(String guildId, boolean withBot, int[] userIndexes, String[] notFound,
                                    String nonce) {
        ObjectNode d = json.createObjectNode();
        d.put("guild_id", guildId);
        ArrayNode members = d.putArray("members");
        if (withBot) {
            members.add(member(botUser()));
        }
        for (int u : userIndexes) {
            members.add(member(user(u)));
        }
        d.put("chunk_index", 0);
        d.put("chunk_count", 1);
        if (notFound.length > 0) {
            ArrayNode nf = d.putArray("not_found");
            for (String id : notFound) {
                nf.add(id);
            }
        }
        if (nonce != null) {
            d.put("nonce", nonce);
        }
        return bytes(d);
    }

    public byte[] rateLimited(int opcode, double retryAfterSeconds, String guildId, String nonce) {
        ObjectNode d = json.createObjectNode();
        d.put("opcode", opcode);
        d.put("retry_after", Math.round(retryAfterSeconds * 1000) / 1000.0);
        ObjectNode meta = d.putObject("meta").put("guild_id", guildId);
        if (nonce != null) {
            meta.put("nonce", nonce);
        }
        return bytes(d);
    }

    public byte[] soundboardSounds(String guildId) {
        ObjectNode d = json.createObjectNode();
        d.put("guild_id", guildId);
        d.putArray("soundboard_sounds").addObject()
                .put("name", "airhorn").put("sound_id", Long.toUnsignedString(Snowflake.parse(guildId) + (3L << 22)))
                .put("volume", 1.0).putNull("emoji_id").put("emoji_name", "📯").put("guild_id", guildId)
                .put("available", true);
        return bytes(d);
    }

    public byte[] channelInfo(String guildId) {
        long gid = Snowflake.parse(guildId);
        ObjectNode d = json.createObjectNode();
        d.put("guild_id", guildId);
        d.putArray("channels").addObject().put("id", Long.toUnsignedString(GuildCatalog.voiceChannelId(gid)))
                .put("status", "simulating");
        return bytes(d);
    }

    /**
     * A simulated guild's members are the bot and the first {@code poolMembers} users of the shared user pool;
     * its {@code member_count} counts both.
     */
    public int poolMembers(long guildId) {
        return 5 + (int) Long.remainderUnsigned(guildId >>> 22, USERNAMES.length - 4);
    }

    /** The username of pool user {@code index}, for op 8 {@code query} prefix matches. */
    public static String username(int index) {
        return USERNAMES[index % USERNAMES.length] + (index < USERNAMES.length ? "" : Integer.toString(index));
    }

    public static String userId(int index) {
        return Long.toUnsignedString(Snowflake.fromTimestampMillis(1600000000000L + index * 1_000_003L) | index);
    }

    /** The bot user's username, which op 8 {@code query} prefixes match too. */
    public static String botUsername() {
        return "shardgate-sim";
    }

    private ObjectNode botUser() {
        ObjectNode u = json.createObjectNode();
        u.put("id", Long.toString(BOT_USER_ID)).put("username", botUsername()).putNull("global_name")
                .put("discriminator", "0").putNull("avatar").put("bot", true).put("flags", 0);
        return u;
    }

    private ObjectNode user(int index) {
        String name = username(index);
        ObjectNode u = json.createObjectNode();
        u.put("id", userId(index)).put("username", name)
                .put("global_name", Character.toUpperCase(name.charAt(0)) + name.substring(1))
                .put("discriminator", "0").putNull("avatar").put("public_flags", 0);
        return u;
    }

    /** A guild member object; {@code user} is null where Discord leaves it out (MESSAGE_CREATE's member). */
    private ObjectNode member(ObjectNode user) {
        ObjectNode m = json.createObjectNode();
        if (user != null) {
            m.set("user", user);
        }
        m.putArray("roles");
        m.putNull("nick");
        m.put("joined_at", JOINED_AT).put("deaf", false).put("mute", false).put("flags", 0);
        m.putNull("premium_since");
        m.putNull("avatar");
        return m;
    }

    /** Interaction tokens are base64 of {@code interaction:<id>:<secret>}, so they start {@code aW50ZXJhY3Rpb246}. */
    private static String interactionToken(long interactionId) {
        byte[] secret = new byte[48];
        ThreadLocalRandom.current().nextBytes(secret);
        String raw = "interaction:" + Long.toUnsignedString(interactionId) + ":"
                + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    private static int randomUser() {
        return ThreadLocalRandom.current().nextInt(USERNAMES.length);
    }

    private static String pick(String[] options) {
        return options[ThreadLocalRandom.current().nextInt(options.length)];
    }

    private byte[] bytes(ObjectNode node) {
        try {
            return json.writeValueAsBytes(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a generated payload", e);
        }
    }
}
