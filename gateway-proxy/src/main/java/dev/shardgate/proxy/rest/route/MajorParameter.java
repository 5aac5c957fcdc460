package dev.shardgate.proxy.rest.route;

/**
 * Discord's top-level resource ("major parameter"): the same bucket hash with a different value is a separate
 * limit. Webhook and interaction tokens are stored as fingerprints so a key never holds a secret.
 */
public record MajorParameter(String kind, String value) {
    /** Routes without a top-level resource: one limit per token. */
    public static final MajorParameter NONE = new MajorParameter("none", "");

    @Override
    public String toString() {
        return value.isEmpty() ? kind : kind + ":" + value;
    }
}
