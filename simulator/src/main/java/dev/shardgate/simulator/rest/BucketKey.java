package dev.shardgate.simulator.rest;

/** Where a bucket's state lives: its hash plus the major parameter's value, e.g. {@code a106…:channel:111}. */
public record BucketKey(String hash, String resource) {
    public static BucketKey of(RouteBucket bucket, String resource) {
        return new BucketKey(bucket.hash(), resource);
    }

    @Override
    public String toString() {
        return hash + ":" + resource;
    }
}
