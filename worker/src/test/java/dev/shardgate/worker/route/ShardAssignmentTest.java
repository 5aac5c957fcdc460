package dev.shardgate.worker.route;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShardAssignmentTest {
    @Test
    void everyShardHasExactlyOneOwnerAndTheSplitIsEven() {
        Set<String> members = Set.of("c", "a", "b");
        Set<Integer> seen = new HashSet<>();
        for (String m : members) {
            Set<Integer> owned = ShardAssignment.owned(m, members, 16);
            assertEquals(true, owned.size() == 5 || owned.size() == 6, m + " owns " + owned);
            owned.forEach(s -> assertEquals(true, seen.add(s), "shard " + s + " owned twice"));
        }
        assertEquals(16, seen.size());
    }

    @Test
    void aReplicaNotYetAmongTheMembersOwnsNothing() {
        assertEquals(Set.of(), ShardAssignment.owned("new", Set.of("a"), 4));
    }

    @Test
    void aLoneReplicaOwnsEveryShard() {
        assertEquals(Set.of(0, 1, 2), ShardAssignment.owned("a", Set.of("a"), 3));
    }
}
