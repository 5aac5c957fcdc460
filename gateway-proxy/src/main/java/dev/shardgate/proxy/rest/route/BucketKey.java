package dev.shardgate.proxy.rest.route;

import java.util.Objects;

/**
 * Where one limit lives: a token, the bucket (Discord's {@code X-RateLimit-Bucket} hash once learned, else the
 * route template as a provisional name) and the major parameter. Equal keys share one limit.
 */
public final class BucketKey {
    private final TokenId token;
    private final String bucket;
    private final boolean provisional;
    private final MajorParameter major;

    private BucketKey(TokenId token, String bucket, boolean provisional, MajorParameter major) {
        this.token = Objects.requireNonNull(token);
        this.bucket = Objects.requireNonNull(bucket);
        this.provisional = provisional;
        this.major = Objects.requireNonNull(major);
    }

    /** The key of a learned bucket hash. */
    public static BucketKey ofHash(TokenId token, String hash, MajorParameter major) {
        return new BucketKey(token, hash, false, major);
    }

    /** The key of a route whose hash is not known yet. */
    public static BucketKey provisional(TokenId token, Route route) {
        return new BucketKey(token, route.template(), true, route.major());
    }

    public TokenId token() {
        return token;
    }

    /** The bucket hash, or the route template while provisional. */
    public String bucket() {
        return bucket;
    }

    public boolean isProvisional() {
        return provisional;
    }

    public MajorParameter major() {
        return major;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BucketKey k && provisional == k.provisional && token.equals(k.token)
                && bucket.equals(k.bucket) && major.equals(k.major);
    }

    @Override
    public int hashCode() {
        return Objects.hash(token, bucket, provisional, major);
    }

    @Override
    public String toString() {
        return (provisional ? "route(" + bucket + ")" : bucket) + "/" + major + "@" + token.fingerprint();
    }
}
