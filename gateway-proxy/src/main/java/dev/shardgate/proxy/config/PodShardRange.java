package dev.shardgate.proxy.config;

import dev.shardgate.config.ConfigException;
import dev.shardgate.config.ConfigSource;
import java.util.Optional;

/**
 * The shards a StatefulSet pod owns, from its ordinal: with {@code SHARDS_PER_POD} set, pod {@code i} owns
 * {@code [i × per, min((i + 1) × per, SHARD_COUNT) − 1]}, so one pod template serves every replica and a rolling
 * update replaces pod {@code i} by a pod with the same shards. The index is {@code POD_INDEX} (the
 * {@code apps.kubernetes.io/pod-index} label through the downward API), or else the number after the last
 * {@code -} of {@code HOSTNAME}, which a StatefulSet pod's name ends with.
 */
final class PodShardRange {
    static final String SHARDS_PER_POD = "SHARDS_PER_POD";

    private PodShardRange() {
    }

    /** The {@code SHARD_IDS} spec this process runs with: the explicit one, or the pod's range. */
    static String shardIds(ConfigSource src) {
        Optional<String> explicit = src.get("SHARD_IDS").filter(s -> !s.isBlank());
        if (src.get(SHARDS_PER_POD).filter(s -> !s.isBlank()).isEmpty()) {
            return explicit.orElse("all");
        }
        if (explicit.isPresent()) {
            throw new ConfigException("set SHARD_IDS or SHARDS_PER_POD, not both (SHARD_IDS='" + explicit.get()
                    + "', SHARDS_PER_POD='" + src.get(SHARDS_PER_POD).orElseThrow() + "')");
        }
        int perPod = src.integer(SHARDS_PER_POD, 1, 1, 1_000_000);
        int count = src.integer("SHARD_COUNT", 0, 0, 1_000_000);
        if (count == 0) {
            throw new ConfigException("SHARDS_PER_POD needs SHARD_COUNT (the bot's total shards), so that every pod "
                    + "splits the same total");
        }
        int index = podIndex(src);
        long first = (long) index * perPod;
        if (first >= count) {
            throw new ConfigException("pod index " + index + " with SHARDS_PER_POD " + perPod + " would start at shard "
                    + first + ", but SHARD_COUNT is " + count + ": at most " + ((count + perPod - 1) / perPod)
                    + " pods are needed");
        }
        return first + "-" + (Math.min(first + perPod, count) - 1);
    }

    private static int podIndex(ConfigSource src) {
        if (src.get("POD_INDEX").filter(s -> !s.isBlank()).isPresent()) {
            return src.integer("POD_INDEX", 0, 0, 1_000_000);
        }
        String host = src.get("HOSTNAME").orElse("").strip();
        String ordinal = host.substring(host.lastIndexOf('-') + 1);
        if (host.lastIndexOf('-') < 0 || ordinal.isEmpty() || !ordinal.chars().allMatch(Character::isDigit)
                || ordinal.length() > 6) {
            throw new ConfigException("SHARDS_PER_POD needs the pod's index: set POD_INDEX (the pod-index label), or "
                    + "run with a HOSTNAME ending in -<ordinal> as StatefulSet pods do; HOSTNAME is '" + host + "'");
        }
        return Integer.parseInt(ordinal);
    }
}
