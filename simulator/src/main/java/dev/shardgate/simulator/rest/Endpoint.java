package dev.shardgate.simulator.rest;

import java.util.List;

/**
 * Every REST endpoint the simulator serves, with Discord's names, and its rate-limit data: which bucket it
 * counts against, which major parameter splits that bucket, and how it authenticates. Matching goes in
 * declaration order, so literal segments ({@code @me}, {@code @original}, {@code bulk-delete}) come before
 * the placeholders they would otherwise match.
 */
public enum Endpoint {
    GET_CURRENT_USER("GET", "users/@me", RouteBucket.CURRENT_USER, MajorParameter.NONE, Auth.BOT),
    MODIFY_CURRENT_USER("PATCH", "users/@me", RouteBucket.CURRENT_USER, MajorParameter.NONE, Auth.BOT),
    CREATE_DM("POST", "users/@me/channels", RouteBucket.CREATE_DM, MajorParameter.NONE, Auth.BOT),
    GET_USER("GET", "users/{user_id}", RouteBucket.GET_USER, MajorParameter.NONE, Auth.BOT),
    GET_CURRENT_APPLICATION("GET", "applications/@me", RouteBucket.APPLICATION, MajorParameter.NONE, Auth.BOT),
    GET_CURRENT_BOT_APPLICATION("GET", "oauth2/applications/@me", RouteBucket.APPLICATION, MajorParameter.NONE,
            Auth.BOT),
    GET_GLOBAL_COMMANDS("GET", "applications/{application_id}/commands", RouteBucket.APPLICATION_COMMANDS,
            MajorParameter.NONE, Auth.BOT),
    BULK_OVERWRITE_GLOBAL_COMMANDS("PUT", "applications/{application_id}/commands",
            RouteBucket.APPLICATION_COMMANDS, MajorParameter.NONE, Auth.BOT),
    GET_GUILD_COMMANDS("GET", "applications/{application_id}/guilds/{guild_id}/commands",
            RouteBucket.APPLICATION_COMMANDS, MajorParameter.GUILD, Auth.BOT),
    BULK_OVERWRITE_GUILD_COMMANDS("PUT", "applications/{application_id}/guilds/{guild_id}/commands",
            RouteBucket.APPLICATION_COMMANDS, MajorParameter.GUILD, Auth.BOT),

    GET_CHANNEL("GET", "channels/{channel_id}", RouteBucket.GET_CHANNEL, MajorParameter.CHANNEL, Auth.BOT),
    MODIFY_CHANNEL("PATCH", "channels/{channel_id}", RouteBucket.EDIT_CHANNEL, MajorParameter.CHANNEL, Auth.BOT),
    TRIGGER_TYPING("POST", "channels/{channel_id}/typing", RouteBucket.TYPING, MajorParameter.CHANNEL, Auth.BOT),
    GET_CHANNEL_MESSAGES("GET", "channels/{channel_id}/messages", RouteBucket.READ_MESSAGES,
            MajorParameter.CHANNEL, Auth.BOT),
    CREATE_MESSAGE("POST", "channels/{channel_id}/messages", RouteBucket.CREATE_MESSAGE, MajorParameter.CHANNEL,
            Auth.BOT),
    BULK_DELETE_MESSAGES("POST", "channels/{channel_id}/messages/bulk-delete", RouteBucket.BULK_DELETE,
            MajorParameter.CHANNEL, Auth.BOT),
    GET_CHANNEL_MESSAGE("GET", "channels/{channel_id}/messages/{message_id}", RouteBucket.READ_MESSAGES,
            MajorParameter.CHANNEL, Auth.BOT),
    EDIT_MESSAGE("PATCH", "channels/{channel_id}/messages/{message_id}", RouteBucket.EDIT_MESSAGE,
            MajorParameter.CHANNEL, Auth.BOT),
    /** Counts against {@link RouteBucket#DELETE_OLD_MESSAGE} instead when the message is over 14 days old. */
    DELETE_MESSAGE("DELETE", "channels/{channel_id}/messages/{message_id}", RouteBucket.DELETE_MESSAGE,
            MajorParameter.CHANNEL, Auth.BOT),
    CREATE_OWN_REACTION("PUT", "channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            RouteBucket.REACTIONS, MajorParameter.CHANNEL, Auth.BOT),
    DELETE_OWN_REACTION("DELETE", "channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
            RouteBucket.REACTIONS, MajorParameter.CHANNEL, Auth.BOT),
    DELETE_USER_REACTION("DELETE", "channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{user_id}",
            RouteBucket.REACTIONS, MajorParameter.CHANNEL, Auth.BOT),
    GET_REACTIONS("GET", "channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
            RouteBucket.REACTIONS, MajorParameter.CHANNEL, Auth.BOT),
    DELETE_ALL_REACTIONS_FOR_EMOJI("DELETE", "channels/{channel_id}/messages/{message_id}/reactions/{emoji}",
            RouteBucket.REACTIONS, MajorParameter.CHANNEL, Auth.BOT),
    DELETE_ALL_REACTIONS("DELETE", "channels/{channel_id}/messages/{message_id}/reactions",
            RouteBucket.REACTIONS, MajorParameter.CHANNEL, Auth.BOT),

    GET_GUILD("GET", "guilds/{guild_id}", RouteBucket.GET_GUILD, MajorParameter.GUILD, Auth.BOT),
    LIST_GUILD_MEMBERS("GET", "guilds/{guild_id}/members", RouteBucket.LIST_MEMBERS, MajorParameter.GUILD,
            Auth.BOT),
    GET_GUILD_MEMBER("GET", "guilds/{guild_id}/members/{user_id}", RouteBucket.GET_MEMBER, MajorParameter.GUILD,
            Auth.BOT),
    MODIFY_GUILD_MEMBER("PATCH", "guilds/{guild_id}/members/{user_id}", RouteBucket.MODIFY_MEMBER,
            MajorParameter.GUILD, Auth.BOT),
    ADD_GUILD_MEMBER_ROLE("PUT", "guilds/{guild_id}/members/{user_id}/roles/{role_id}", RouteBucket.MEMBER_ROLES,
            MajorParameter.GUILD, Auth.BOT),
    REMOVE_GUILD_MEMBER_ROLE("DELETE", "guilds/{guild_id}/members/{user_id}/roles/{role_id}",
            RouteBucket.MEMBER_ROLES, MajorParameter.GUILD, Auth.BOT),
    GET_GUILD_ROLES("GET", "guilds/{guild_id}/roles", RouteBucket.GET_ROLES, MajorParameter.GUILD, Auth.BOT),
    CREATE_GUILD_ROLE("POST", "guilds/{guild_id}/roles", RouteBucket.MODIFY_ROLES, MajorParameter.GUILD, Auth.BOT),
    MODIFY_GUILD_ROLE("PATCH", "guilds/{guild_id}/roles/{role_id}", RouteBucket.MODIFY_ROLES, MajorParameter.GUILD,
            Auth.BOT),
    DELETE_GUILD_ROLE("DELETE", "guilds/{guild_id}/roles/{role_id}", RouteBucket.MODIFY_ROLES,
            MajorParameter.GUILD, Auth.BOT),

    CREATE_INTERACTION_RESPONSE("POST", "interactions/{interaction_id}/{interaction_token}/callback",
            RouteBucket.INTERACTION_CALLBACK, MajorParameter.INTERACTION, Auth.TOKEN_IN_PATH),
    EXECUTE_WEBHOOK("POST", "webhooks/{webhook_id}/{webhook_token}", RouteBucket.EXECUTE_WEBHOOK,
            MajorParameter.WEBHOOK, Auth.TOKEN_IN_PATH),
    GET_ORIGINAL_INTERACTION_RESPONSE("GET", "webhooks/{webhook_id}/{webhook_token}/messages/@original",
            RouteBucket.WEBHOOK_MESSAGE, MajorParameter.WEBHOOK, Auth.TOKEN_IN_PATH),
    EDIT_ORIGINAL_INTERACTION_RESPONSE("PATCH", "webhooks/{webhook_id}/{webhook_token}/messages/@original",
            RouteBucket.WEBHOOK_MESSAGE, MajorParameter.WEBHOOK, Auth.TOKEN_IN_PATH),
    DELETE_ORIGINAL_INTERACTION_RESPONSE("DELETE", "webhooks/{webhook_id}/{webhook_token}/messages/@original",
            RouteBucket.WEBHOOK_MESSAGE, MajorParameter.WEBHOOK, Auth.TOKEN_IN_PATH),
    GET_WEBHOOK_MESSAGE("GET", "webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
            RouteBucket.WEBHOOK_MESSAGE, MajorParameter.WEBHOOK, Auth.TOKEN_IN_PATH),
    EDIT_WEBHOOK_MESSAGE("PATCH", "webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
            RouteBucket.WEBHOOK_MESSAGE, MajorParameter.WEBHOOK, Auth.TOKEN_IN_PATH),
    DELETE_WEBHOOK_MESSAGE("DELETE", "webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
            RouteBucket.WEBHOOK_MESSAGE, MajorParameter.WEBHOOK, Auth.TOKEN_IN_PATH);

    private final String method;
    private final String template;
    @SuppressWarnings("ImmutableEnumChecker") // List.of(...): unmodifiable
    private final List<String> segments;
    private final RouteBucket bucket;
    private final MajorParameter major;
    private final Auth auth;

    Endpoint(String method, String template, RouteBucket bucket, MajorParameter major, Auth auth) {
        this.method = method;
        this.template = template;
        this.segments = List.of(template.split("/"));
        this.bucket = bucket;
        this.major = major;
        this.auth = auth;
    }

    public String method() {
        return method;
    }

    /** The path below {@code /api/v10/} with Discord's placeholder names, e.g. {@code channels/{channel_id}}. */
    public String template() {
        return template;
    }

    public RouteBucket bucket() {
        return bucket;
    }

    MajorParameter major() {
        return major;
    }

    Auth auth() {
        return auth;
    }

    List<String> segments() {
        return segments;
    }

    @Override
    public String toString() {
        return method + " /" + template;
    }
}
