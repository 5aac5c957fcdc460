package dev.shardgate.proxy.rest.shared;

import dev.shardgate.protocol.Subjects;

/** The NATS names of the shared REST limits, under the process's subject prefix. */
record SharedSubjects(String prefix) {
    static SharedSubjects of(Subjects subjects) {
        return new SharedSubjects(subjects.prefix());
    }

    /** Where limiters tell each other of buckets used up ({@link LimiterProtocol.Exhausted}). */
    String exhausted() {
        return prefix + ".rest.exhausted";
    }

    String acquire(String replica) {
        return prefix + ".rest.limiter." + replica + ".acquire";
    }

    String end(String replica) {
        return prefix + ".rest.limiter." + replica + ".end";
    }

    String cancel(String replica) {
        return prefix + ".rest.limiter." + replica + ".cancel";
    }

    /** The JetStream key-value bucket holding the leader's lease (KV names allow no dots). */
    String leaseBucket() {
        return prefix.replace('.', '_') + "_rest_lease";
    }

    /** The key-value bucket where every replica registers itself (its key expires with the bucket's TTL). */
    String membersBucket() {
        return prefix.replace('.', '_') + "_rest_members";
    }
}
