package dev.shardgate.worker.route;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Which shards one replica handles in ordered mode: the live replicas sorted by id, shard {@code i} to replica
 * {@code i mod n}. Every replica computes the same answer from the same member list, and an even split needs
 * no coordination beyond that list. Pure function.
 */
public final class ShardAssignment {
    private ShardAssignment() {
    }

    /** The shards {@code self} owns; none if it is not (yet) among the members. */
    public static Set<Integer> owned(String self, Set<String> members, int shardCount) {
        List<String> sorted = List.copyOf(new TreeSet<>(members));
        int index = sorted.indexOf(self);
        if (index < 0) {
            return Set.of();
        }
        return IntStream.range(0, shardCount).filter(shard -> shard % sorted.size() == index).boxed()
                .collect(Collectors.toUnmodifiableSet());
    }
}
