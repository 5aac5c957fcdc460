package dev.shardgate.protocol;

import java.util.BitSet;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Parses the {@code SHARD_IDS} setting: {@code all}, ranges and lists such as {@code 0-15} or {@code 0,2,4-7}.
 */
public final class ShardIds {
    private ShardIds() {
    }

    /**
     * @return the owned shard ids in ascending order
     * @throws IllegalArgumentException with a message naming the bad part
     */
    public static List<Integer> parse(String spec, int shardCount) {
        if (shardCount <= 0) {
            throw new IllegalArgumentException("SHARD_COUNT must be positive, got " + shardCount);
        }
        if (spec == null || spec.isBlank() || spec.trim().equalsIgnoreCase("all")) {
            return IntStream.range(0, shardCount).boxed().toList();
        }
        BitSet ids = new BitSet(shardCount);
        for (String part : spec.split(",", -1)) {
            String p = part.trim();
            int dash = p.indexOf('-');
            int from;
            int to;
            try {
                if (dash < 0) {
                    from = to = Integer.parseInt(p);
                } else {
                    from = Integer.parseInt(p.substring(0, dash).trim());
                    to = Integer.parseInt(p.substring(dash + 1).trim());
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("SHARD_IDS: '" + p + "' is not a shard id or a range like 0-15");
            }
            if (from < 0 || to < from || to >= shardCount) {
                throw new IllegalArgumentException("SHARD_IDS: '" + p + "' is outside 0-" + (shardCount - 1)
                        + " (SHARD_COUNT " + shardCount + ") or reversed");
            }
            ids.set(from, to + 1);
        }
        return ids.stream().boxed().toList();
    }
}
