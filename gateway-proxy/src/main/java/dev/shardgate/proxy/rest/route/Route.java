package dev.shardgate.proxy.rest.route;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.shardgate.protocol.Snowflake;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * What the limiter needs to know about one request, derived from its method and path (discord-rest-ratelimits.md
 * §6.2): the route template (method + path with ids as {@code :id}, tokens as {@code :token}, reactions collapsed,
 * message deletes split by message age), the major parameter, whether the global limit applies, and the hidden
 * sublimit the route is known to have.
 *
 * @param template e.g. {@code POST /channels/:id/messages}; never contains an id, a token or an emoji
 * @param sublimit a name for a known hidden sublimit this request is subject to (a channel rename), if any
 */
public record Route(String method, String template, MajorParameter major, boolean globalExempt,
                   Optional<String> sublimit) {

    /** Interaction tokens are base64 of {@code interaction:...}; nirn-proxy recognises them the same way. */
    private static final String INTERACTION_TOKEN_PREFIX = "aW50ZXJhY3Rpb246";
    private static final Duration OLD_MESSAGE = Duration.ofDays(14);
    private static final Duration NEW_MESSAGE = Duration.ofSeconds(10);
    private static final int MAX_PATH = 2048;
    private static final Set<String> CODE_PARENTS = Set.of("invites", "templates");
    private static final JsonFactory JSON = new JsonFactory();

    /**
     * Parses a path below the API version ({@code /channels/123/messages}, still percent-encoded).
     *
     * @param nowMillis the wall clock, to tell a message's age from its snowflake
     * @param body the request body (only a channel edit's is looked at, for {@code name} and {@code topic})
     */
    public static Route parse(String method, String path, long nowMillis, byte[] body) throws BadRouteException {
        if (path.length() > MAX_PATH) {
            throw new BadRouteException("path is longer than " + MAX_PATH + " characters");
        }
        if (!path.startsWith("/") || path.length() < 2) {
            throw new BadRouteException("path must name a resource below /api/v10/");
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c <= ' ' || c >= 127) {
                throw new BadRouteException("path contains a control, space or non-ASCII character");
            }
        }
        String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        String[] segs = trimmed.substring(1).split("/", -1);
        for (String s : segs) {
            String decoded = decode(s);
            if (s.isEmpty() || decoded.equals(".") || decoded.equals("..")) {
                throw new BadRouteException("path has an empty, '.' or '..' segment");
            }
            if (decoded.indexOf('/') >= 0 || decoded.indexOf('\\') >= 0 || decoded.chars().anyMatch(c -> c < ' ')) {
                throw new BadRouteException("path has an encoded slash or control character");
            }
        }
        String resource = segs[0];
        MajorParameter major = MajorParameter.NONE;
        boolean exempt = false;
        if (segs.length > 1 && isSnowflake(segs[1])) {
            switch (resource) {
                case "channels" -> major = new MajorParameter("channel", segs[1]);
                case "guilds" -> major = new MajorParameter("guild", segs[1]);
                case "webhooks" -> {
                    boolean hasToken = segs.length > 2;
                    major = new MajorParameter("webhook",
                            hasToken ? segs[1] + ":" + TokenId.of(segs[2]).fingerprint() : segs[1]);
                    exempt = hasToken && segs[2].startsWith(INTERACTION_TOKEN_PREFIX);
                }
                case "interactions" -> {
                    major = new MajorParameter("interaction", segs[1]);
                    exempt = true;
                }
                default -> { }
            }
        }
        StringBuilder t = new StringBuilder(method).append(' ');
        for (int i = 0; i < segs.length; i++) {
            String s = segs[i];
            String prev = i > 0 ? segs[i - 1] : "";
            t.append('/');
            if (prev.equals("reactions")) {
                t.append(":reaction");
                break;
            } else if (i == 2 && (resource.equals("webhooks") || resource.equals("interactions"))
                    && !isSnowflake(s)) {
                t.append(":token");
            } else if (isSnowflake(s)) {
                t.append(":id");
            } else if (CODE_PARENTS.contains(prev)) {
                t.append(":code");
            } else {
                t.append(s);
            }
        }
        String template = t.toString();
        if (method.equals("DELETE") && template.equals("DELETE /channels/:id/messages/:id")) {
            template += messageAgeSuffix(segs[3], nowMillis);
        }
        Optional<String> sublimit = method.equals("PATCH") && template.equals("PATCH /channels/:id")
                && editsNameOrTopic(body) ? Optional.of("channel name/topic edit") : Optional.empty();
        return new Route(method, template, major, exempt, sublimit);
    }

    /** Old and very new messages are deleted under other buckets than the rest (discord-rest-ratelimits.md §10). */
    private static String messageAgeSuffix(String messageId, long nowMillis) throws BadRouteException {
        long age;
        try {
            age = nowMillis - Snowflake.timestampMillis(Snowflake.parse(messageId));
        } catch (IllegalArgumentException e) {
            throw new BadRouteException("message id is not a snowflake");
        }
        if (age > OLD_MESSAGE.toMillis()) {
            return " (older than 14d)";
        }
        return age < NEW_MESSAGE.toMillis() ? " (younger than 10s)" : "";
    }

    /** Reads only the top-level keys of a JSON object; anything unreadable counts as no rename. */
    private static boolean editsNameOrTopic(byte[] body) {
        if (body == null || body.length == 0) {
            return false;
        }
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                if (name.equals("name") || name.equals("topic")) {
                    return true;
                }
                p.nextToken();
                p.skipChildren();
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isSnowflake(String s) {
        if (s.isEmpty() || s.length() > 20) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static String decode(String segment) throws BadRouteException {
        try {
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new BadRouteException("path has a malformed percent-encoding");
        }
    }

    /**
     * Whether this is an interaction's initial response ({@code POST /interactions/{id}/{token}/callback}): due within
     * 3 s of the interaction, outside the global limit, and in a bucket of its own interaction.
     */
    public boolean interactionCallback() {
        return major.kind().equals("interaction");
    }

    /**
     * Whether the request is authenticated by a token in its path (a webhook token or an interaction token) rather
     * than by its {@code Authorization} header: a 401 on it says nothing about the bot's token.
     */
    public boolean tokenInPath() {
        return interactionCallback()
                || (major.kind().equals("webhook") && major.value().indexOf(':') >= 0);
    }
}
