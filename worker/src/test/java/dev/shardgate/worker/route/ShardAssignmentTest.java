package dev.shardgate.worker.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ShardAssignmentTest {
    private static final int SHARDS = 1024;

    private static Set<String> members(int n) {
        return IntStream.range(0, n).mapToObj(i -> "replica-" + i + ".1").collect(Collectors.toSet());
    }

    @Test
    void everyShardHasExactlyOneOwnerAndTheSplitIsRoughlyEven() {
        Set<String> members = members(4);
        Set<Integer> seen = new HashSet<>();
        for (String m : members) {
            Set<Integer> owned = ShardAssignment.owned(m, members, SHARDS);
            assertTrue(owned.size() > SHARDS / 4 * 0.8 && owned.size() < SHARDS / 4 * 1.2, m + " owns " + owned.size());
            owned.forEach(s -> assertTrue(seen.add(s), "shard " + s + " owned twice"));
        }
        assertEquals(SHARDS, seen.size());
    }

    @Test
    void aJoinMovesAboutOneNthOfTheShardsAllToTheNewcomer() {
        Set<String> before = members(4);
        Set<String> after = new HashSet<>(before);
        after.add("newcomer.1");
        int moved = 0;
        for (int shard = 0; shard < SHARDS; shard++) {
            String was = ShardAssignment.ownerOf(shard, before);
            String is = ShardAssignment.ownerOf(shard, after);
            if (!was.equals(is)) {
                moved++;
                assertEquals("newcomer.1", is, "a shard moved between two replicas that stayed");
            }
        }
        // index modulo n moved about 4/5 of them here
        assertTrue(moved > SHARDS / 5.0 * 0.8 && moved < SHARDS / 5.0 * 1.2, moved + " of " + SHARDS + " moved");
    }

    @Test
    void aLeaveMovesOnlyTheLeaversShards() {
        Set<String> before = members(5);
        Set<String> after = new HashSet<>(before);
        after.remove("replica-2.1");
        for (int shard = 0; shard < SHARDS; shard++) {
            String was = ShardAssignment.ownerOf(shard, before);
            if (!was.equals("replica-2.1")) {
                assertEquals(was, ShardAssignment.ownerOf(shard, after));
            }
        }
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
