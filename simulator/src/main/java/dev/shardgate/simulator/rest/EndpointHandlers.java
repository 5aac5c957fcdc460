package dev.shardgate.simulator.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardgate.protocol.Snowflake;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What each endpoint does once a request has passed authentication and the rate limits. One switch over
 * {@link Endpoint}, so the compiler checks that every endpoint has an answer. Stateless itself: the data
 * lives in {@link DiscordState}; called from every HTTP handler thread.
 */
final class EndpointHandlers {
    static final Duration BULK_DELETE_MAX_AGE = Duration.ofDays(14);
    private static final int SIMULATED_GUILD_MEMBERS = 250;

    private final DiscordObjects objects;
    private final DiscordState state;
    private final SnowflakeGenerator ids;
    private final long maxFileBytes;
    private final boolean checkInteractionTokens;

    EndpointHandlers(DiscordObjects objects, DiscordState state, SnowflakeGenerator ids, RestSettings settings) {
        this.objects = objects;
        this.state = state;
        this.ids = ids;
        this.maxFileBytes = settings.maxFileBytes();
        this.checkInteractionTokens = settings.checkInteractionTokens();
    }

    Answer handle(RestRequest r) throws DiscordError {
        if (r.route().endpoint().major() == MajorParameter.WEBHOOK && state.webhookDeleted(r.snowflake("webhook_id"))) {
            throw DiscordError.unknownWebhook();
        }
        if (checkInteractionTokens && r.route().isInteractionWebhook(objects.botId())
                && !InteractionToken.webhookAccepted(r.param("webhook_token"), r.nowMillis())) {
            throw new DiscordError(401, 50027, "Invalid Webhook Token");
        }
        return switch (r.route().endpoint()) {
            case GET_CURRENT_USER, MODIFY_CURRENT_USER -> Answer.ok(objects.botUser());
            case GET_USER -> Answer.ok(objects.user(r.snowflake("user_id")));
            case CREATE_DM -> createDm(r);
            case GET_CURRENT_APPLICATION, GET_CURRENT_BOT_APPLICATION -> Answer.ok(objects.application());
            case GET_GLOBAL_COMMANDS -> Answer.ok(state.commands("global"));
            case GET_GUILD_COMMANDS -> Answer.ok(state.commands(r.param("guild_id")));
            case BULK_OVERWRITE_GLOBAL_COMMANDS -> overwriteCommands(r, null);
            case BULK_OVERWRITE_GUILD_COMMANDS -> overwriteCommands(r, r.param("guild_id"));
            case GET_CHANNEL -> Answer.ok(state.channel(r.snowflake("channel_id"), objects));
            case MODIFY_CHANNEL -> Answer.ok(state.editChannel(r.snowflake("channel_id"), object(r.json()), objects));
            case TRIGGER_TYPING -> Answer.noContent();
            case GET_CHANNEL_MESSAGES -> listMessages(r);
            case CREATE_MESSAGE -> createMessage(r, r.snowflake("channel_id"), null);
            case BULK_DELETE_MESSAGES -> bulkDelete(r);
            case GET_CHANNEL_MESSAGE -> Answer.ok(state.message(r.snowflake("channel_id"), r.snowflake("message_id"))
                    .orElseThrow(DiscordError::unknownMessage));
            case EDIT_MESSAGE -> Answer.ok(state.editMessage(r.snowflake("channel_id"), r.snowflake("message_id"),
                    MessagePayload.read(r, maxFileBytes, false).json(), r.nowMillis())
                    .orElseThrow(DiscordError::unknownMessage));
            case DELETE_MESSAGE -> found(state.deleteMessage(r.snowflake("channel_id"), r.snowflake("message_id")));
            case CREATE_OWN_REACTION -> react(r, objects.botId(), true);
            case DELETE_OWN_REACTION -> react(r, objects.botId(), false);
            case DELETE_USER_REACTION -> react(r, r.snowflake("user_id"), false);
            case GET_REACTIONS -> reactors(r);
            case DELETE_ALL_REACTIONS_FOR_EMOJI -> found(state.clearReactions(r.snowflake("channel_id"),
                    r.snowflake("message_id"), r.param("emoji")));
            case DELETE_ALL_REACTIONS -> found(state.clearReactions(r.snowflake("channel_id"),
                    r.snowflake("message_id"), null));
            case GET_GUILD -> Answer.ok(objects.guild(r.snowflake("guild_id"), state.roles(r.snowflake("guild_id"))));
            case LIST_GUILD_MEMBERS -> listMembers(r);
            case GET_GUILD_MEMBER -> Answer.ok(state.member(r.snowflake("guild_id"), r.snowflake("user_id"), objects,
                    Snowflake.timestampMillis(r.snowflake("guild_id"))));
            case MODIFY_GUILD_MEMBER -> Answer.ok(state.editMember(r.snowflake("guild_id"), r.snowflake("user_id"),
                    object(r.json()), objects, r.nowMillis()));
            case ADD_GUILD_MEMBER_ROLE, REMOVE_GUILD_MEMBER_ROLE -> {
                state.memberRole(r.snowflake("guild_id"), r.snowflake("user_id"), r.snowflake("role_id"),
                        r.route().endpoint() == Endpoint.ADD_GUILD_MEMBER_ROLE, objects, r.nowMillis());
                yield Answer.noContent();
            }
            case GET_GUILD_ROLES -> Answer.ok(state.roles(r.snowflake("guild_id")));
            case CREATE_GUILD_ROLE -> Answer.ok(state.createRole(r.snowflake("guild_id"), ids.next(), object(r.json())));
            case MODIFY_GUILD_ROLE -> Answer.ok(state.editRole(r.snowflake("guild_id"), r.snowflake("role_id"),
                    object(r.json())).orElseThrow(EndpointHandlers::unknownRole));
            case DELETE_GUILD_ROLE -> {
                if (!state.deleteRole(r.snowflake("guild_id"), r.snowflake("role_id"))) {
                    throw unknownRole();
                }
                yield Answer.noContent();
            }
            case CREATE_INTERACTION_RESPONSE -> interactionCallback(r);
            case EXECUTE_WEBHOOK -> executeWebhook(r);
            case GET_ORIGINAL_INTERACTION_RESPONSE -> Answer.ok(state.message(original(r))
                    .orElseThrow(DiscordError::unknownMessage));
            case EDIT_ORIGINAL_INTERACTION_RESPONSE -> editOriginal(r);
            case DELETE_ORIGINAL_INTERACTION_RESPONSE -> found(state.deleteMessage(original(r)));
            case GET_WEBHOOK_MESSAGE -> Answer.ok(state.message(r.snowflake("message_id"))
                    .orElseThrow(DiscordError::unknownMessage));
            case EDIT_WEBHOOK_MESSAGE -> editWebhookMessage(r, r.snowflake("message_id"));
            case DELETE_WEBHOOK_MESSAGE -> found(state.deleteMessage(r.snowflake("message_id")));
        };
    }

    private Answer createMessage(RestRequest r, long channelId, Long webhookId) throws DiscordError {
        MessagePayload payload = MessagePayload.read(r, maxFileBytes, true);
        long id = ids.next();
        ObjectNode message = objects.message(id, channelId, payload.json(), payload.uploads(), ids, webhookId);
        state.putMessage(id, message);
        return Answer.ok(message);
    }

    private Answer listMessages(RestRequest r) throws DiscordError {
        int limit = r.queryInt("limit", 50, 1, 100);
        ArrayNode list = Json.MAPPER.createArrayNode();
        state.recentMessages(r.snowflake("channel_id"), limit).forEach(list::add);
        return Answer.ok(list);
    }

    private Answer bulkDelete(RestRequest r) throws DiscordError {
        JsonNode messages = object(r.json()).get("messages");
        if (messages == null || !messages.isArray()) {
            throw new DiscordError.FormErrors().add("messages", "BASE_TYPE_REQUIRED", "This field is required")
                    .toError();
        }
        if (messages.size() < 2 || messages.size() > 100) {
            throw new DiscordError(400, 50016,
                    "You must provide at least 2 and fewer than 100 messages to delete.");
        }
        long oldest = r.nowMillis() - BULK_DELETE_MAX_AGE.toMillis();
        Set<Long> unique = new HashSet<>();
        for (JsonNode node : messages) {
            long id;
            try {
                id = Snowflake.parse(node.asText());
            } catch (IllegalArgumentException e) {
                throw new DiscordError.FormErrors().add("messages", "NUMBER_TYPE_COERCE",
                        "Value \"" + node.asText() + "\" is not snowflake.").toError();
            }
            if (Snowflake.timestampMillis(id) < oldest) {
                throw new DiscordError(400, 50034, "You can only bulk delete messages that are under 14 days old.");
            }
            if (!unique.add(id)) {
                throw new DiscordError.FormErrors().add("messages", "BASE_TYPE_DUPLICATES",
                        "The list contains duplicates.").toError();
            }
        }
        long channelId = r.snowflake("channel_id");
        unique.forEach(id -> state.deleteMessage(channelId, id));
        return Answer.noContent();
    }

    private Answer react(RestRequest r, long userId, boolean add) throws DiscordError {
        return found(state.react(r.snowflake("channel_id"), r.snowflake("message_id"), r.param("emoji"), userId, add));
    }

    private Answer reactors(RestRequest r) throws DiscordError {
        List<Long> users = state.reactors(r.snowflake("channel_id"), r.snowflake("message_id"), r.param("emoji"))
                .orElseThrow(DiscordError::unknownMessage);
        ArrayNode list = Json.MAPPER.createArrayNode();
        users.stream().limit(r.queryInt("limit", 25, 1, 100)).forEach(id -> list.add(objects.user(id)));
        return Answer.ok(list);
    }

    private Answer createDm(RestRequest r) throws DiscordError {
        JsonNode recipient = object(r.json()).get("recipient_id");
        long recipientId;
        try {
            recipientId = Snowflake.parse(recipient == null ? null : recipient.asText());
        } catch (IllegalArgumentException e) {
            throw new DiscordError.FormErrors().add("recipient_id", "BASE_TYPE_REQUIRED", "This field is required")
                    .toError();
        }
        return Answer.ok(objects.dmChannel(state.dmChannel(recipientId, ids), recipientId));
    }

    /** Synthetic members: ids just above the guild's id, {@value #SIMULATED_GUILD_MEMBERS} of them. */
    private Answer listMembers(RestRequest r) throws DiscordError {
        long guildId = r.snowflake("guild_id");
        int limit = r.queryInt("limit", 1, 1, 1000);
        long after = 0;
        if (r.query().containsKey("after")) {
            try {
                after = Snowflake.parse(r.query().get("after"));
            } catch (IllegalArgumentException e) {
                throw new DiscordError.FormErrors().add("after", "NUMBER_TYPE_COERCE",
                        "Value \"" + r.query().get("after") + "\" is not snowflake.").toError();
            }
        }
        ArrayNode list = Json.MAPPER.createArrayNode();
        long joinedAt = Snowflake.timestampMillis(guildId);
        for (long userId = Math.max(guildId + 1, after + 1);
             userId <= guildId + SIMULATED_GUILD_MEMBERS && list.size() < limit; userId++) {
            list.add(state.member(guildId, userId, objects, joinedAt));
        }
        return Answer.ok(list);
    }

    private Answer overwriteCommands(RestRequest r, String guildId) throws DiscordError {
        JsonNode body = r.json();
        if (!body.isArray()) {
            throw new DiscordError.FormErrors().add("", "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
                    .toError();
        }
        ArrayNode saved = Json.MAPPER.createArrayNode();
        for (JsonNode command : body) {
            ObjectNode copy = object(command).deepCopy();
            copy.put("id", Long.toUnsignedString(ids.next()));
            copy.put("application_id", Long.toUnsignedString(objects.botId()));
            copy.put("version", Long.toUnsignedString(ids.next()));
            if (!copy.has("type")) {
                copy.put("type", 1);
            }
            if (guildId != null) {
                copy.put("guild_id", guildId);
            }
            if (!copy.has("description")) {
                copy.put("description", "");
            }
            copy.putNull("default_member_permissions");
            copy.put("nsfw", false);
            saved.add(copy);
        }
        state.setCommands(guildId == null ? "global" : guildId, saved);
        return Answer.ok(saved);
    }

    /**
     * Acknowledges an interaction once ({@code 40060} after that). Type 4 (and 7) with data creates the original
     * response message; type 5 creates an empty one to edit later. {@code with_response=true} answers 200 with
     * the callback object, otherwise 204.
     */
    private Answer interactionCallback(RestRequest r) throws DiscordError {
        ObjectNode body = object(r.json());
        JsonNode type = body.get("type");
        if (type == null || !type.canConvertToInt()) {
            throw new DiscordError.FormErrors().add("type", "BASE_TYPE_REQUIRED", "This field is required").toError();
        }
        long interactionId = r.snowflake("interaction_id");
        if (checkInteractionTokens
                && !InteractionToken.callbackAccepted(interactionId, r.param("interaction_token"), r.nowMillis())) {
            throw new DiscordError(404, 10062, "Unknown interaction");
        }
        if (!state.acknowledge(interactionId)) {
            throw new DiscordError(400, 40060, "Interaction has already been acknowledged.");
        }
        ObjectNode message = null;
        int callbackType = type.asInt();
        if (callbackType == 4 || callbackType == 5 || callbackType == 7) {
            ObjectNode data = body.get("data") instanceof ObjectNode d ? d : Json.MAPPER.createObjectNode();
            long id = ids.next();
            message = objects.message(id, interactionId, data, List.of(), ids, objects.botId());
            message.put("type", 20);
            state.putMessage(id, message);
            state.setOriginal(r.param("interaction_token"), id);
        }
        if (!r.queryFlag("with_response")) {
            return Answer.noContent();
        }
        ObjectNode callback = Json.MAPPER.createObjectNode();
        ObjectNode interaction = callback.putObject("interaction");
        interaction.put("id", Long.toUnsignedString(interactionId));
        interaction.put("type", 2);
        interaction.put("response_message_loading", callbackType == 5);
        interaction.put("response_message_ephemeral", (body.path("data").path("flags").asInt(0) & 64) != 0);
        if (message != null) {
            ObjectNode resource = callback.putObject("resource");
            resource.put("type", callbackType);
            resource.set("message", message);
        }
        return Answer.ok(callback);
    }

    /** Interaction follow-ups always answer the message; other webhooks only with {@code wait=true}. */
    private Answer executeWebhook(RestRequest r) throws DiscordError {
        long webhookId = r.snowflake("webhook_id");
        Answer created = createMessage(r, webhookId, webhookId);
        boolean followUp = r.route().isInteractionWebhook(objects.botId());
        return followUp || r.queryFlag("wait") ? created : Answer.noContent();
    }

    /** Editing {@code @original} after a deferred callback fills in the message. */
    private Answer editOriginal(RestRequest r) throws DiscordError {
        String token = r.param("webhook_token");
        if (state.original(token).isEmpty()) {
            MessagePayload payload = MessagePayload.read(r, maxFileBytes, false);
            long id = ids.next();
            long webhookId = r.snowflake("webhook_id");
            state.putMessage(id, objects.message(id, webhookId, payload.json(), payload.uploads(), ids, webhookId));
            state.setOriginal(token, id);
            return Answer.ok(state.message(id).orElseThrow(DiscordError::unknownMessage));
        }
        return editWebhookMessage(r, original(r));
    }

    private Answer editWebhookMessage(RestRequest r, long messageId) throws DiscordError {
        ObjectNode existing = state.message(messageId).orElseThrow(DiscordError::unknownMessage);
        return Answer.ok(state.editMessage(Snowflake.parse(existing.path("channel_id").asText()), messageId,
                MessagePayload.read(r, maxFileBytes, false).json(), r.nowMillis())
                .orElseThrow(DiscordError::unknownMessage));
    }

    private long original(RestRequest r) throws DiscordError {
        return state.original(r.param("webhook_token")).orElseThrow(DiscordError::unknownMessage);
    }

    private static Answer found(boolean found) throws DiscordError {
        if (!found) {
            throw DiscordError.unknownMessage();
        }
        return Answer.noContent();
    }

    private static ObjectNode object(JsonNode node) throws DiscordError {
        if (node instanceof ObjectNode object) {
            return object;
        }
        throw new DiscordError.FormErrors().add("", "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
                .toError();
    }

    private static DiscordError unknownRole() {
        return new DiscordError(404, 10011, "Unknown Role");
    }
}
