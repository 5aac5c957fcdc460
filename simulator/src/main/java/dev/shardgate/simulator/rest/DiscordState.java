package dev.shardgate.simulator.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The simulated server's data: messages, reactions, edited channels, members, roles, commands, interactions.
 * Channels, guilds and members exist implicitly (any snowflake names one); messages exist once created.
 * Called from every HTTP handler thread; state guarded by this object's monitor. Values handed out are copies.
 */
final class DiscordState {
    /** Messages kept for get/edit/delete; the oldest are forgotten beyond this, so benchmarks stay bounded. */
    static final int MAX_MESSAGES = 100_000;

    private final Map<Long, ObjectNode> messages = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, ObjectNode> eldest) {
            return size() > MAX_MESSAGES;
        }
    };
    private final Map<Long, Map<String, Set<Long>>> reactions = new HashMap<>();
    private final Map<Long, ObjectNode> channels = new HashMap<>();
    private final Map<Long, Long> dmChannels = new HashMap<>();
    private final Map<String, ObjectNode> members = new HashMap<>();
    private final Map<Long, Map<Long, ObjectNode>> roles = new HashMap<>();
    private final Map<String, ArrayNode> commands = new HashMap<>();
    private final Set<Long> acknowledgedInteractions = new HashSet<>();
    private final Map<String, Long> originalResponses = new HashMap<>();
    private final long botId;

    /** Webhooks deleted (by a test, as a guild admin would): every route under them answers 404 Unknown Webhook. */
    private final Set<Long> deletedWebhooks = new HashSet<>();

    DiscordState(long botId) {
        this.botId = botId;
    }

    /** Stores a copy, so the caller may still hand its node out while others edit the stored one. */

    synchronized void deleteWebhook(long id) {
        deletedWebhooks.add(id);
    }

    synchronized boolean webhookDeleted(long id) {
        return deletedWebhooks.contains(id);
    }

    synchronized void putMessage(long id, ObjectNode message) {
        messages.put(id, message.deepCopy());
    }

    synchronized Optional<ObjectNode> message(long channelId, long id) {
        ObjectNode message = messages.get(id);
        if (message == null || !message.path("channel_id").asText().equals(Long.toUnsignedString(channelId))) {
            return Optional.empty();
        }
        return Optional.of(withReactions(id, message));
    }

    synchronized Optional<ObjectNode> message(long id) {
        ObjectNode message = messages.get(id);
        return message == null ? Optional.empty() : Optional.of(withReactions(id, message));
    }

    /** The newest messages of a channel, newest first, as Get Channel Messages answers. */
    synchronized List<ObjectNode> recentMessages(long channelId, int limit) {
        String channel = Long.toUnsignedString(channelId);
        TreeMap<Long, ObjectNode> newestFirst = new TreeMap<>(java.util.Comparator.reverseOrder());
        messages.forEach((id, message) -> {
            if (message.path("channel_id").asText().equals(channel)) {
                newestFirst.put(id, message);
            }
        });
        return newestFirst.entrySet().stream().limit(limit).map(e -> withReactions(e.getKey(), e.getValue()))
                .toList();
    }

    synchronized Optional<ObjectNode> editMessage(long channelId, long id, ObjectNode payload, long nowMillis) {
        if (message(channelId, id).isEmpty()) {
            return Optional.empty();
        }
        ObjectNode message = messages.get(id);
        DiscordObjects.edit(message, payload, nowMillis);
        return Optional.of(withReactions(id, message));
    }

    synchronized boolean deleteMessage(long channelId, long id) {
        if (message(channelId, id).isEmpty()) {
            return false;
        }
        messages.remove(id);
        reactions.remove(id);
        return true;
    }

    synchronized boolean deleteMessage(long id) {
        reactions.remove(id);
        return messages.remove(id) != null;
    }

    synchronized boolean react(long channelId, long messageId, String emoji, long userId, boolean add) {
        if (message(channelId, messageId).isEmpty()) {
            return false;
        }
        Map<String, Set<Long>> byEmoji = reactions.computeIfAbsent(messageId, k -> new LinkedHashMap<>());
        if (add) {
            byEmoji.computeIfAbsent(emoji, k -> new LinkedHashSet<>()).add(userId);
        } else if (byEmoji.containsKey(emoji)) {
            byEmoji.get(emoji).remove(userId);
            if (byEmoji.get(emoji).isEmpty()) {
                byEmoji.remove(emoji);
            }
        }
        return true;
    }

    /** Removes all reactions of a message, or only those of one emoji when {@code emoji} is not null. */
    synchronized boolean clearReactions(long channelId, long messageId, String emoji) {
        if (message(channelId, messageId).isEmpty()) {
            return false;
        }
        if (emoji == null) {
            reactions.remove(messageId);
        } else if (reactions.containsKey(messageId)) {
            reactions.get(messageId).remove(emoji);
        }
        return true;
    }

    synchronized Optional<List<Long>> reactors(long channelId, long messageId, String emoji) {
        if (message(channelId, messageId).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(List.copyOf(reactions.getOrDefault(messageId, Map.of()).getOrDefault(emoji, Set.of())));
    }

    synchronized ObjectNode channel(long id, DiscordObjects objects) {
        return channels.computeIfAbsent(id, objects::channel).deepCopy();
    }

    synchronized ObjectNode editChannel(long id, ObjectNode changes, DiscordObjects objects) {
        ObjectNode channel = channels.computeIfAbsent(id, objects::channel);
        for (String field : List.of("name", "topic", "nsfw", "rate_limit_per_user", "position", "parent_id",
                "permission_overwrites", "flags")) {
            if (changes.has(field)) {
                channel.set(field, changes.get(field));
            }
        }
        return channel.deepCopy();
    }

    synchronized long dmChannel(long recipientId, SnowflakeGenerator ids) {
        return dmChannels.computeIfAbsent(recipientId, k -> ids.next());
    }

    synchronized ObjectNode member(long guildId, long userId, DiscordObjects objects, long joinedAtMillis) {
        return memberNode(guildId, userId, objects, joinedAtMillis).deepCopy();
    }

    synchronized ObjectNode editMember(long guildId, long userId, ObjectNode changes, DiscordObjects objects,
                                       long nowMillis) {
        ObjectNode member = memberNode(guildId, userId, objects, nowMillis);
        for (String field : List.of("nick", "roles", "mute", "deaf", "communication_disabled_until", "flags")) {
            if (changes.has(field)) {
                member.set(field, changes.get(field));
            }
        }
        return member.deepCopy();
    }

    synchronized void memberRole(long guildId, long userId, long roleId, boolean add, DiscordObjects objects,
                                 long nowMillis) {
        ArrayNode memberRoles = (ArrayNode) memberNode(guildId, userId, objects, nowMillis).get("roles");
        String role = Long.toUnsignedString(roleId);
        for (int i = memberRoles.size() - 1; i >= 0; i--) {
            if (memberRoles.get(i).asText().equals(role)) {
                memberRoles.remove(i);
            }
        }
        if (add) {
            memberRoles.add(role);
        }
    }

    private ObjectNode memberNode(long guildId, long userId, DiscordObjects objects, long joinedAtMillis) {
        return members.computeIfAbsent(guildId + ":" + userId, k -> objects.member(userId, joinedAtMillis));
    }

    synchronized ArrayNode roles(long guildId) {
        ArrayNode list = Json.MAPPER.createArrayNode();
        guildRoles(guildId).values().forEach(role -> list.add(role.deepCopy()));
        return list;
    }

    synchronized ObjectNode createRole(long guildId, long roleId, ObjectNode fields) {
        Map<Long, ObjectNode> guildRoles = guildRoles(guildId);
        ObjectNode role = DiscordObjects.role(roleId, fields.path("name").asText("new role"), guildRoles.size());
        applyRoleFields(role, fields);
        guildRoles.put(roleId, role);
        return role.deepCopy();
    }

    synchronized Optional<ObjectNode> editRole(long guildId, long roleId, ObjectNode fields) {
        ObjectNode role = guildRoles(guildId).get(roleId);
        if (role == null) {
            return Optional.empty();
        }
        applyRoleFields(role, fields);
        return Optional.of(role.deepCopy());
    }

    synchronized boolean deleteRole(long guildId, long roleId) {
        return roleId != guildId && guildRoles(guildId).remove(roleId) != null;
    }

    private static void applyRoleFields(ObjectNode role, ObjectNode fields) {
        for (String field : List.of("name", "color", "hoist", "mentionable", "permissions", "unicode_emoji")) {
            if (fields.has(field) && !fields.get(field).isNull()) {
                role.set(field, fields.get(field));
            }
        }
    }

    /** A guild's roles, starting with {@code @everyone}, whose id is the guild's. */
    private Map<Long, ObjectNode> guildRoles(long guildId) {
        return roles.computeIfAbsent(guildId, id -> {
            Map<Long, ObjectNode> initial = new LinkedHashMap<>();
            initial.put(id, DiscordObjects.role(id, "@everyone", 0));
            return initial;
        });
    }

    synchronized ArrayNode commands(String scope) {
        return commands.getOrDefault(scope, Json.MAPPER.createArrayNode()).deepCopy();
    }

    synchronized void setCommands(String scope, ArrayNode list) {
        commands.put(scope, list.deepCopy());
    }

    /** Records the interaction's one acknowledgement; false if it was already acknowledged. */
    synchronized boolean acknowledge(long interactionId) {
        return acknowledgedInteractions.add(interactionId);
    }

    synchronized void setOriginal(String interactionToken, long messageId) {
        originalResponses.put(interactionToken, messageId);
    }

    synchronized Optional<Long> original(String interactionToken) {
        Long id = originalResponses.get(interactionToken);
        return id != null && messages.containsKey(id) ? Optional.of(id) : Optional.empty();
    }

    private ObjectNode withReactions(long id, ObjectNode message) {
        ObjectNode copy = message.deepCopy();
        Map<String, Set<Long>> byEmoji = reactions.get(id);
        if (byEmoji != null && !byEmoji.isEmpty()) {
            ArrayNode list = copy.putArray("reactions");
            byEmoji.forEach((emoji, users) -> {
                ObjectNode reaction = list.addObject();
                reaction.put("count", users.size());
                reaction.put("me", users.contains(botId));
                ObjectNode emojiNode = reaction.putObject("emoji");
                emojiNode.putNull("id");
                emojiNode.put("name", emoji);
            });
        }
        return copy;
    }
}
