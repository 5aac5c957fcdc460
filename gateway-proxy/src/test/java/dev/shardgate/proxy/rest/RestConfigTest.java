package dev.shardgate.proxy.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.config.ConfigException;
import dev.shardgate.config.ConfigSource;
import dev.shardgate.proxy.config.ProxyConfig;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RestConfigTest {
    private static RestConfig config(Map<String, String> env) {
        return RestConfig.from(ConfigSource.of(env));
    }

    @Test
    void defaultsFollowDiscordsNumbers() {
        RestConfig c = config(Map.of());
        assertEquals(50, c.globalLimit());
        assertEquals(Optional.empty(), c.maxWait(), "a request waits as long as its client does");
        assertEquals(Optional.empty(), config(Map.of("REST_MAX_WAIT", "none")).maxWait());
        assertEquals(Optional.of(Duration.ofSeconds(30)), config(Map.of("REST_MAX_WAIT", "30s")).maxWait());
        assertEquals(10_000, c.queueMax());
        assertEquals(5_000, c.queueMaxPerBucket());
        assertEquals(256L * 1024 * 1024, c.queueMaxBytes());
        assertTrue(c.invalidRequestLimit() < 10_000);
        assertEquals(25L * 1024 * 1024, c.maxBodyBytes());
        assertFalse(c.shareLimits());
        assertEquals(Duration.ofSeconds(10), c.headerTimeout());
        assertEquals(Duration.ofSeconds(30), c.bodyTimeout());
        assertEquals(10_000, c.maxConnections());
        assertEquals(java.nio.file.Path.of(System.getProperty("java.io.tmpdir")), c.spoolDir());
    }

    @Test
    void aBadRestSettingStopsTheProcessBeforeAnyRoleStarts() {
        ConfigException e = assertThrows(ConfigException.class, () -> ProxyConfig.from(ConfigSource.of(Map.of(
                "DISCORD_TOKEN", "token", "ROLES", "gateway,rest", "REST_MAX_WAIT", "soon"))));
        assertTrue(e.getMessage().contains("REST_MAX_WAIT"), e.getMessage());
        assertEquals(Optional.of(Duration.ofSeconds(5)), ProxyConfig.from(ConfigSource.of(Map.of(
                "DISCORD_TOKEN", "token", "REST_MAX_WAIT", "5s"))).rest().maxWait());
    }

    @Test
    void theServersBoundsAreReadAndChecked() {
        RestConfig c = config(Map.of("REST_HEADER_TIMEOUT", "2s", "REST_BODY_TIMEOUT", "1m",
                "REST_MAX_CONNECTIONS", "500"));
        assertEquals(Duration.ofSeconds(2), c.headerTimeout());
        assertEquals(Duration.ofMinutes(1), c.bodyTimeout());
        assertEquals(500, c.maxConnections());
        assertEquals("REST_HEADER_TIMEOUT must be positive, got PT0S", assertThrows(ConfigException.class,
                () -> config(Map.of("REST_HEADER_TIMEOUT", "0s"))).getMessage());
        assertTrue(assertThrows(ConfigException.class, () -> config(Map.of("REST_BODY_TIMEOUT", "0s")))
                .getMessage().startsWith("REST_BODY_TIMEOUT must be positive"));
        assertTrue(assertThrows(ConfigException.class, () -> config(Map.of("REST_MAX_CONNECTIONS", "0")))
                .getMessage().contains("REST_MAX_CONNECTIONS"));
        assertTrue(assertThrows(ConfigException.class, () -> config(Map.of("REST_SPOOL_DIR", "/no/such/dir")))
                .getMessage().startsWith("REST_SPOOL_DIR must be a writable directory"));
        assertTrue(assertThrows(ConfigException.class, () -> config(Map.of("REST_CLIENT_TIMEOUT", "30s")))
                .getMessage().contains("REST_BODY_TIMEOUT"), "the old name is refused with the new one's name");
    }

    @Test
    void badValuesAreRefusedWithAMessageNamingTheVariable() {
        assertTrue(assertThrows(ConfigException.class, () -> config(Map.of("REST_INVALID_REQUEST_LIMIT", "10000")))
                .getMessage().contains("REST_INVALID_REQUEST_LIMIT"));
        assertTrue(assertThrows(ConfigException.class, () -> config(Map.of("REST_MAX_WAIT", "soon")))
                .getMessage().contains("REST_MAX_WAIT"));
        assertTrue(assertThrows(ConfigException.class, () -> config(Map.of("REST_PROXY_SECRET", "short")))
                .getMessage().contains("REST_PROXY_SECRET"));
        assertTrue(assertThrows(ConfigException.class, () -> config(Map.of("REST_GLOBAL_LIMIT", "0")))
                .getMessage().contains("REST_GLOBAL_LIMIT"));
        assertTrue(assertThrows(ConfigException.class, () -> config(Map.of("REST_QUEUE_MAX", "10",
                "REST_QUEUE_MAX_PER_BUCKET", "20"))).getMessage().startsWith("REST_QUEUE_MAX_PER_BUCKET must be between"));
        assertTrue(assertThrows(ConfigException.class, () -> config(Map.of("REST_QUEUE_MAX_MB", "10")))
                .getMessage().contains("REST_QUEUE_MAX_MB"));
    }

    @Test
    void theSecretNeverAppearsInItsText() {
        RestConfig c = config(Map.of("REST_PROXY_SECRET", "a-very-secret-proxy-value"));
        assertFalse(c.toString().contains("a-very-secret-proxy-value"));
        assertTrue(c.toString().contains("secret=set"));
    }

    @Test
    void tokensOfTheirOwnGlobalLimitAreListedByFingerprint() {
        RestConfig c = config(Map.of("REST_TOKEN_GLOBAL_LIMITS", " 1f2e3d4c5b6a7988=1200, 0123456789abcdef=500 ",
                "REST_TOKEN_MAX", "500"));
        assertEquals(Map.of("1f2e3d4c5b6a7988", 1200, "0123456789abcdef", 500), c.tokenGlobalLimits());
        assertEquals(500, c.tokenMax());
        assertEquals(Map.of(), config(Map.of()).tokenGlobalLimits());
        assertEquals(10_000, config(Map.of()).tokenMax());
        for (String bad : new String[] {"Bot abc=100", "1f2e3d4c5b6a7988", "1f2e3d4c5b6a7988=0",
                "1f2e3d4c5b6a7988=lots", "1f2e3d4c5b6a7988=5,1f2e3d4c5b6a7988=6", "1f2e3d4c5b6a7988=5,"}) {
            String message = assertThrows(ConfigException.class,
                    () -> config(Map.of("REST_TOKEN_GLOBAL_LIMITS", bad))).getMessage();
            assertTrue(message.startsWith("REST_TOKEN_GLOBAL_LIMITS"), message);
            assertFalse(message.contains("abc"), "a token written there by mistake is never echoed: " + message);
        }
    }
}
