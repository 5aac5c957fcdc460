package dev.shardgate.simulator.rest;

import dev.shardgate.protocol.Snowflake;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.OptionalLong;

/**
 * Interaction tokens as Discord issues them: base64 of {@code interaction:<id>:<secret>}. The initial
 * response is due within 3 s of the interaction, and the token works for 15 minutes.
 */
final class InteractionToken {
    static final Duration CALLBACK_DEADLINE = Duration.ofSeconds(3);
    static final Duration TOKEN_LIFETIME = Duration.ofMinutes(15);

    private InteractionToken() {
    }

    /** The interaction id the token names, if it is a well-formed interaction token. */
    static OptionalLong interactionId(String token) {
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(token.replace('+', '-').replace('/', '_')
                    .replace("=", "")), StandardCharsets.UTF_8);
            String[] parts = decoded.split(":", 3);
            if (parts.length == 3 && parts[0].equals("interaction")) {
                return OptionalLong.of(Snowflake.parse(parts[1]));
            }
        } catch (IllegalArgumentException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }

    /** Whether a callback for {@code interactionId} with {@code token} arriving at {@code nowMillis} is accepted. */
    static boolean callbackAccepted(long interactionId, String token, long nowMillis) {
        OptionalLong named = interactionId(token);
        return named.isPresent() && named.getAsLong() == interactionId
                && nowMillis - Snowflake.timestampMillis(interactionId) <= CALLBACK_DEADLINE.toMillis();
    }

    /** Whether a follow-up or {@code @original} call with this token at {@code nowMillis} is accepted. */
    static boolean webhookAccepted(String token, long nowMillis) {
        OptionalLong named = interactionId(token);
        return named.isPresent()
                && nowMillis - Snowflake.timestampMillis(named.getAsLong()) <= TOKEN_LIFETIME.toMillis();
    }
}
