package dev.shardgate.proxy.config;

import dev.shardgate.config.ConfigException;
import dev.shardgate.config.ConfigSource;
import dev.shardgate.protocol.BotToken;
import dev.shardgate.protocol.Intents;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.proxy.rest.RestConfig;
import java.net.URI;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The gateway proxy's settings, every role's, read once from the environment (CONTRACT.md) and validated before
 * anything starts: a bad REST setting stops the process at once, not after the gateway role is running.
 *
 * @param shardCount the configured {@code SHARD_COUNT}, or 0 to use the {@code shards} of {@code /gateway/bot}
 * @param shardIds the raw {@code SHARD_IDS} spec (or the pod's range, {@link PodShardRange}), resolved once the shard
 *        count is known
 * @param eventsMaxAge how long the event stream keeps a message (limits retention)
 * @param eventsDuplicateWindow JetStream's de-duplication window for {@code Nats-Msg-Id}
 * @param gateway the gateway role's tuning knobs (buffers, storm breaker, command queueing)
 * @param rest the REST role's settings ({@code REST_*}), validated whether or not this process runs that role
 */
public record ProxyConfig(
        BotToken token,
        URI apiUrl,
        List<String> natsUrls,
        Subjects subjects,
        int shardCount,
        String shardIds,
        int intents,
        Compression compression,
        Set<Role> roles,
        int adminPort,
        int restPort,
        String eventsStream,
        Duration eventsMaxAge,
        Duration eventsDuplicateWindow,
        GatewaySettings gateway,
        RestConfig rest) {

    public static final String DEFAULT_API_URL = "https://discord.com/api/v10";
    public static final String DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

    public static ProxyConfig fromEnvironment() {
        return from(ConfigSource.of(System.getenv()));
    }

    public static ProxyConfig from(ConfigSource src) {
        Set<Role> roles = parseRoles(src.string("ROLES", "gateway,rest"));
        BotToken token;
        try {
            token = BotToken.of(src.get("DISCORD_TOKEN").orElseThrow(
                    () -> new ConfigException("DISCORD_TOKEN is required (the bot token, with or without 'Bot ')")));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        List<String> nats = src.list("NATS_URL", DEFAULT_NATS_URL);
        Subjects subjects;
        try {
            subjects = new Subjects(src.string("SUBJECT_PREFIX", "discord"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        int intents = src.integer("GATEWAY_INTENTS", Intents.ALL_NON_PRIVILEGED, 0, Integer.MAX_VALUE);
        int adminPort = src.integer("ADMIN_PORT", 8080, 0, 65535);
        int restPort = src.integer("REST_PORT", 8081, 0, 65535);
        Duration maxAge = src.duration("EVENTS_MAX_AGE", Duration.ofHours(24));
        Duration dedupe = src.duration("EVENTS_DUPLICATE_WINDOW", Duration.ofMinutes(10));
        if (dedupe.compareTo(maxAge) > 0) {
            throw new ConfigException("EVENTS_DUPLICATE_WINDOW (" + dedupe + ") must not exceed EVENTS_MAX_AGE ("
                    + maxAge + ")");
        }
        return new ProxyConfig(
                token,
                src.uri("DISCORD_API_URL", DEFAULT_API_URL, "http", "https"),
                nats,
                subjects,
                src.integer("SHARD_COUNT", 0, 0, 1_000_000),
                PodShardRange.shardIds(src),
                intents,
                Compression.parse(src.string("GATEWAY_COMPRESSION", "zlib-stream")),
                roles,
                adminPort,
                restPort,
                src.string("EVENTS_STREAM", Subjects.DEFAULT_STREAM),
                maxAge,
                dedupe,
                GatewaySettings.from(src),
                RestConfig.from(src));
    }

    private static Set<Role> parseRoles(String spec) {
        EnumSet<Role> roles = EnumSet.noneOf(Role.class);
        for (String part : spec.split(",", -1)) {
            String p = part.trim().toUpperCase(Locale.ROOT);
            if (p.isEmpty()) {
                continue;
            }
            try {
                roles.add(Role.valueOf(p));
            } catch (IllegalArgumentException e) {
                throw new ConfigException("ROLES must be gateway, rest or gateway,rest; got '" + spec + "'");
            }
        }
        if (roles.isEmpty()) {
            throw new ConfigException("ROLES must name at least one of gateway, rest");
        }
        return Set.copyOf(roles);
    }

    public boolean runs(Role role) {
        return roles.contains(role);
    }

    @Override
    public String toString() {
        return "ProxyConfig[api=" + apiUrl + ", nats=" + natsUrls + ", prefix=" + subjects.prefix()
                + ", shardCount=" + (shardCount == 0 ? "auto" : shardCount) + ", shardIds=" + shardIds
                + ", intents=" + intents + ", compression=" + compression.wireName() + ", roles=" + roles
                + ", adminPort=" + adminPort + ", restPort=" + restPort + ", stream=" + eventsStream + "]";
    }
}
