package dev.shardgate.worker;

import discord4j.discordjson.json.gateway.ChannelCreate;
import discord4j.discordjson.json.gateway.ChannelDelete;
import discord4j.discordjson.json.gateway.ChannelUpdate;
import discord4j.discordjson.json.gateway.GuildBanAdd;
import discord4j.discordjson.json.gateway.GuildBanRemove;
import discord4j.discordjson.json.gateway.GuildCreate;
import discord4j.discordjson.json.gateway.GuildDelete;
import discord4j.discordjson.json.gateway.GuildMemberAdd;
import discord4j.discordjson.json.gateway.GuildMemberRemove;
import discord4j.discordjson.json.gateway.GuildMemberUpdate;
import discord4j.discordjson.json.gateway.GuildMembersChunk;
import discord4j.discordjson.json.gateway.GuildRoleCreate;
import discord4j.discordjson.json.gateway.GuildRoleDelete;
import discord4j.discordjson.json.gateway.GuildRoleUpdate;
import discord4j.discordjson.json.gateway.GuildUpdate;
import discord4j.discordjson.json.gateway.InteractionCreate;
import discord4j.discordjson.json.gateway.InviteCreate;
import discord4j.discordjson.json.gateway.InviteDelete;
import discord4j.discordjson.json.gateway.MessageCreate;
import discord4j.discordjson.json.gateway.MessageDelete;
import discord4j.discordjson.json.gateway.MessageDeleteBulk;
import discord4j.discordjson.json.gateway.MessageReactionAdd;
import discord4j.discordjson.json.gateway.MessageReactionRemove;
import discord4j.discordjson.json.gateway.MessageUpdate;
import discord4j.discordjson.json.gateway.PresenceUpdate;
import discord4j.discordjson.json.gateway.Ready;
import discord4j.discordjson.json.gateway.ThreadCreate;
import discord4j.discordjson.json.gateway.ThreadDelete;
import discord4j.discordjson.json.gateway.ThreadUpdate;
import discord4j.discordjson.json.gateway.TypingStart;
import discord4j.discordjson.json.gateway.UserUpdate;
import discord4j.discordjson.json.gateway.VoiceServerUpdate;
import discord4j.discordjson.json.gateway.VoiceStateUpdateDispatch;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The common Discord dispatches as {@link EventType}s, bound to Discord4J's model of Discord's JSON
 * ({@code discord-json}: immutable types that follow Discord's API, absent fields as {@code Possible}, nullable ones
 * as {@code Optional}). Every dispatch Discord documents is in {@link #KNOWN}, so a handler registered by name for
 * something else (a typo) is reported at start-up; a dispatch without a constant here is still handled by name with
 * {@code Worker.Builder.on(String, EventHandler)} and its raw bytes.
 */
public final class Events {
    public static final EventType<Ready> READY = new EventType<>("READY", Ready.class);
    public static final EventType<GuildCreate> GUILD_CREATE = new EventType<>("GUILD_CREATE", GuildCreate.class);
    public static final EventType<GuildUpdate> GUILD_UPDATE = new EventType<>("GUILD_UPDATE", GuildUpdate.class);
    public static final EventType<GuildDelete> GUILD_DELETE = new EventType<>("GUILD_DELETE", GuildDelete.class);
    public static final EventType<GuildMemberAdd> GUILD_MEMBER_ADD = new EventType<>("GUILD_MEMBER_ADD", GuildMemberAdd.class);
    public static final EventType<GuildMemberUpdate> GUILD_MEMBER_UPDATE = new EventType<>("GUILD_MEMBER_UPDATE", GuildMemberUpdate.class);
    public static final EventType<GuildMemberRemove> GUILD_MEMBER_REMOVE = new EventType<>("GUILD_MEMBER_REMOVE", GuildMemberRemove.class);
    public static final EventType<GuildMembersChunk> GUILD_MEMBERS_CHUNK = new EventType<>("GUILD_MEMBERS_CHUNK", GuildMembersChunk.class);
    public static final EventType<GuildRoleCreate> GUILD_ROLE_CREATE = new EventType<>("GUILD_ROLE_CREATE", GuildRoleCreate.class);
    public static final EventType<GuildRoleUpdate> GUILD_ROLE_UPDATE = new EventType<>("GUILD_ROLE_UPDATE", GuildRoleUpdate.class);
    public static final EventType<GuildRoleDelete> GUILD_ROLE_DELETE = new EventType<>("GUILD_ROLE_DELETE", GuildRoleDelete.class);
    public static final EventType<GuildBanAdd> GUILD_BAN_ADD = new EventType<>("GUILD_BAN_ADD", GuildBanAdd.class);
    public static final EventType<GuildBanRemove> GUILD_BAN_REMOVE = new EventType<>("GUILD_BAN_REMOVE", GuildBanRemove.class);
    public static final EventType<ChannelCreate> CHANNEL_CREATE = new EventType<>("CHANNEL_CREATE", ChannelCreate.class);
    public static final EventType<ChannelUpdate> CHANNEL_UPDATE = new EventType<>("CHANNEL_UPDATE", ChannelUpdate.class);
    public static final EventType<ChannelDelete> CHANNEL_DELETE = new EventType<>("CHANNEL_DELETE", ChannelDelete.class);
    public static final EventType<ThreadCreate> THREAD_CREATE = new EventType<>("THREAD_CREATE", ThreadCreate.class);
    public static final EventType<ThreadUpdate> THREAD_UPDATE = new EventType<>("THREAD_UPDATE", ThreadUpdate.class);
    public static final EventType<ThreadDelete> THREAD_DELETE = new EventType<>("THREAD_DELETE", ThreadDelete.class);
    public static final EventType<MessageCreate> MESSAGE_CREATE = new EventType<>("MESSAGE_CREATE", MessageCreate.class);
    public static final EventType<MessageUpdate> MESSAGE_UPDATE = new EventType<>("MESSAGE_UPDATE", MessageUpdate.class);
    public static final EventType<MessageDelete> MESSAGE_DELETE = new EventType<>("MESSAGE_DELETE", MessageDelete.class);
    public static final EventType<MessageDeleteBulk> MESSAGE_DELETE_BULK = new EventType<>("MESSAGE_DELETE_BULK", MessageDeleteBulk.class);
    public static final EventType<MessageReactionAdd> MESSAGE_REACTION_ADD = new EventType<>("MESSAGE_REACTION_ADD", MessageReactionAdd.class);
    public static final EventType<MessageReactionRemove> MESSAGE_REACTION_REMOVE = new EventType<>("MESSAGE_REACTION_REMOVE", MessageReactionRemove.class);
    public static final EventType<InteractionCreate> INTERACTION_CREATE = new EventType<>("INTERACTION_CREATE", InteractionCreate.class);
    public static final EventType<PresenceUpdate> PRESENCE_UPDATE = new EventType<>("PRESENCE_UPDATE", PresenceUpdate.class);
    public static final EventType<TypingStart> TYPING_START = new EventType<>("TYPING_START", TypingStart.class);
    public static final EventType<VoiceStateUpdateDispatch> VOICE_STATE_UPDATE = new EventType<>("VOICE_STATE_UPDATE", VoiceStateUpdateDispatch.class);
    public static final EventType<VoiceServerUpdate> VOICE_SERVER_UPDATE = new EventType<>("VOICE_SERVER_UPDATE", VoiceServerUpdate.class);
    public static final EventType<UserUpdate> USER_UPDATE = new EventType<>("USER_UPDATE", UserUpdate.class);
    public static final EventType<InviteCreate> INVITE_CREATE = new EventType<>("INVITE_CREATE", InviteCreate.class);
    public static final EventType<InviteDelete> INVITE_DELETE = new EventType<>("INVITE_DELETE", InviteDelete.class);

    /** Every dispatch name in Discord's gateway documentation. */
    public static final Set<String> KNOWN = Set.of(
            "READY", "RESUMED", "APPLICATION_COMMAND_PERMISSIONS_UPDATE", "AUTO_MODERATION_RULE_CREATE",
            "AUTO_MODERATION_RULE_UPDATE", "AUTO_MODERATION_RULE_DELETE", "AUTO_MODERATION_ACTION_EXECUTION",
            "CHANNEL_CREATE", "CHANNEL_UPDATE", "CHANNEL_DELETE", "CHANNEL_PINS_UPDATE", "THREAD_CREATE",
            "THREAD_UPDATE", "THREAD_DELETE", "THREAD_LIST_SYNC", "THREAD_MEMBER_UPDATE", "THREAD_MEMBERS_UPDATE",
            "ENTITLEMENT_CREATE", "ENTITLEMENT_UPDATE", "ENTITLEMENT_DELETE", "GUILD_CREATE", "GUILD_UPDATE",
            "GUILD_DELETE", "GUILD_AUDIT_LOG_ENTRY_CREATE", "GUILD_BAN_ADD", "GUILD_BAN_REMOVE",
            "GUILD_EMOJIS_UPDATE", "GUILD_STICKERS_UPDATE", "GUILD_INTEGRATIONS_UPDATE", "GUILD_MEMBER_ADD",
            "GUILD_MEMBER_REMOVE", "GUILD_MEMBER_UPDATE", "GUILD_MEMBERS_CHUNK", "GUILD_ROLE_CREATE",
            "GUILD_ROLE_UPDATE", "GUILD_ROLE_DELETE", "GUILD_SCHEDULED_EVENT_CREATE", "GUILD_SCHEDULED_EVENT_UPDATE",
            "GUILD_SCHEDULED_EVENT_DELETE", "GUILD_SCHEDULED_EVENT_USER_ADD", "GUILD_SCHEDULED_EVENT_USER_REMOVE",
            "GUILD_SOUNDBOARD_SOUND_CREATE", "GUILD_SOUNDBOARD_SOUND_UPDATE", "GUILD_SOUNDBOARD_SOUND_DELETE",
            "GUILD_SOUNDBOARD_SOUNDS_UPDATE", "SOUNDBOARD_SOUNDS", "INTEGRATION_CREATE", "INTEGRATION_UPDATE",
            "INTEGRATION_DELETE", "INTERACTION_CREATE", "INVITE_CREATE", "INVITE_DELETE", "MESSAGE_CREATE",
            "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK", "MESSAGE_REACTION_ADD",
            "MESSAGE_REACTION_REMOVE", "MESSAGE_REACTION_REMOVE_ALL", "MESSAGE_REACTION_REMOVE_EMOJI",
            "MESSAGE_POLL_VOTE_ADD", "MESSAGE_POLL_VOTE_REMOVE", "PRESENCE_UPDATE", "STAGE_INSTANCE_CREATE",
            "STAGE_INSTANCE_UPDATE", "STAGE_INSTANCE_DELETE", "SUBSCRIPTION_CREATE", "SUBSCRIPTION_UPDATE",
            "SUBSCRIPTION_DELETE", "TYPING_START", "USER_UPDATE", "VOICE_CHANNEL_EFFECT_SEND",
            "VOICE_CHANNEL_STATUS_UPDATE", "VOICE_CHANNEL_START_TIME_UPDATE", "VOICE_STATE_UPDATE",
            "VOICE_SERVER_UPDATE", "WEBHOOKS_UPDATE");

    private Events() {
    }

    /** The known name nearest to {@code name} (by edit distance), if one is near enough to be a typo of it. */
    public static Optional<String> closest(String name) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String known : KNOWN) {
            int d = distance(name, known);
            if (d < bestDistance || (d == bestDistance && known.compareTo(best) < 0)) {
                best = known;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(2, name.length() / 4) ? Optional.of(best) : Optional.empty();
    }

    /** Levenshtein distance, case-insensitive: {@code message_create} is a typo too. */
    private static int distance(String a, String b) {
        String x = a.toUpperCase(Locale.ROOT);
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= x.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (x.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }
}
