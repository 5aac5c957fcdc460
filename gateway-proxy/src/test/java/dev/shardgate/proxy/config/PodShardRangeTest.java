package dev.shardgate.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.config.ConfigException;
import dev.shardgate.config.ConfigSource;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PodShardRangeTest {
    @Test
    void withoutShardsPerPodTheExplicitSpecOrAllIsUsed() {
        assertEquals("all", shardIds(Map.of()));
        assertEquals("0,2,4", shardIds(Map.of("SHARD_IDS", "0,2,4", "HOSTNAME", "gateway-3")));
    }

    @Test
    void aPodOwnsTheRangeOfItsOrdinalAndTheLastPodTheRest() {
        Map<String, String> env = Map.of("SHARD_COUNT", "2500", "SHARDS_PER_POD", "1000");
        assertEquals("0-999", shardIds(with(env, "HOSTNAME", "shardgate-gateway-0")));
        assertEquals("1000-1999", shardIds(with(env, "HOSTNAME", "shardgate-gateway-1")));
        assertEquals("2000-2499", shardIds(with(env, "HOSTNAME", "shardgate-gateway-2")));
        // The downward API's pod-index wins over the host name.
        assertEquals("1000-1999", shardIds(with(with(env, "HOSTNAME", "x-2"), "POD_INDEX", "1")));
    }

    @Test
    void contradictionsAndMalformedValuesNameTheSetting() {
        Map<String, String> env = Map.of("SHARD_COUNT", "2500", "SHARDS_PER_POD", "1000", "HOSTNAME", "gw-0");
        assertTrue(error(with(env, "SHARD_IDS", "0-9")).startsWith("set SHARD_IDS or SHARDS_PER_POD, not both"));
        assertTrue(error(with(env, "HOSTNAME", "gw-3")).startsWith("pod index 3 with SHARDS_PER_POD 1000 would start at "
                + "shard 3000, but SHARD_COUNT is 2500: at most 3 pods"), error(with(env, "HOSTNAME", "gw-3")));
        assertTrue(error(with(env, "HOSTNAME", "laptop")).startsWith("SHARDS_PER_POD needs the pod's index"));
        assertTrue(error(Map.of("SHARDS_PER_POD", "10", "HOSTNAME", "gw-0")).startsWith("SHARDS_PER_POD needs SHARD_COUNT"));
        assertTrue(error(with(env, "SHARDS_PER_POD", "0")).contains("SHARDS_PER_POD"), error(with(env, "SHARDS_PER_POD", "0")));
        assertTrue(error(with(env, "POD_INDEX", "one")).contains("POD_INDEX"), error(with(env, "POD_INDEX", "one")));
    }

    private static String shardIds(Map<String, String> env) {
        return PodShardRange.shardIds(ConfigSource.of(env));
    }

    private static String error(Map<String, String> env) {
        return assertThrows(ConfigException.class, () -> shardIds(env)).getMessage();
    }

    private static Map<String, String> with(Map<String, String> env, String key, String value) {
        Map<String, String> copy = new HashMap<>(env);
        copy.put(key, value);
        return copy;
    }
}
