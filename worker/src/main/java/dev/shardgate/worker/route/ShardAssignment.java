package dev.shardgate.worker.route;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Which shards one replica handles in ordered mode, by rendezvous (highest random weight) hashing: every shard goes
 * to the member with the highest {@code score(member, shard)}. Every replica computes the same answer from the same
 * member list, the split is even in expectation, and a join or a leave moves only the shards the newcomer wins or
 * the leaver held, about {@code shards / n}, where {@code index mod n} moved most of them. Pure function.
 */
public final class ShardAssignment {
    private ShardAssignment() {
    }

    /** The shards {@code self} owns; none if it is not (yet) among the members. */
    public static Set<Integer> owned(String self, Set<String> members, int shardCount) {
        if (!members.contains(self)) {
            return Set.of();
        }
        return IntStream.range(0, shardCount).filter(shard -> self.equals(ownerOf(shard, members))).boxed()
                .collect(Collectors.toUnmodifiableSet());
    }

    /** The member that owns {@code shard}. */
    public static String ownerOf(int shard, Set<String> members) {
        String owner = null;
        long best = 0;
        for (String member : members) {
            long s = score(hash(member), shard);
            if (owner == null || s > best || (s == best && member.compareTo(owner) < 0)) {
                owner = member;
                best = s;
            }
        }
        return owner;
    }

    /** FNV-1a over the name's UTF-8 bytes: stable across JVMs, unlike {@link String#hashCode()}'s spread. */
    private static long hash(String member) {
        long h = 0xcbf29ce484222325L;
        for (byte b : member.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return h;
    }

    /** SplitMix64's finaliser over member and shard: weights independent per shard. */
    private static long score(long memberHash, int shard) {
        long z = memberHash + 0x9e3779b97f4a7c15L * (shard + 1L);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
