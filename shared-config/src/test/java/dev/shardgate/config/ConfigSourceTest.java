package dev.shardgate.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigSourceTest {
    @Test
    void theEnvironmentWinsOverTheConfigFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("shardgate.properties");
        Files.writeString(file, "ADMIN_PORT = 9000\nSUBJECT_PREFIX=fromfile\n");
        ConfigSource src = ConfigSource.of(Map.of("CONFIG_FILE", file.toString(), "ADMIN_PORT", "9100"));
        assertEquals(9100, src.integer("ADMIN_PORT", 8080, 0, 65535));
        assertEquals("fromfile", src.string("SUBJECT_PREFIX", "discord"));
    }

    @Test
    void anUnreadableConfigFileIsNamed() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> ConfigSource.of(Map.of("CONFIG_FILE", "/nonexistent/shardgate.properties")));
        assertEquals(true, e.getMessage().startsWith("CONFIG_FILE /nonexistent/shardgate.properties cannot be read"));
    }

    @Test
    void durationsAcceptUnitsAndIso8601() {
        ConfigSource src = ConfigSource.of(Map.of("A", "500ms", "B", "1.5s", "C", "5m", "D", "24h", "E", "PT10S",
                "F", "2d", "G", "7"));
        assertEquals(Duration.ofMillis(500), src.duration("A", Duration.ZERO));
        assertEquals(Duration.ofMillis(1500), src.duration("B", Duration.ZERO));
        assertEquals(Duration.ofMinutes(5), src.duration("C", Duration.ZERO));
        assertEquals(Duration.ofHours(24), src.duration("D", Duration.ZERO));
        assertEquals(Duration.ofSeconds(10), src.duration("E", Duration.ZERO));
        assertEquals(Duration.ofDays(2), src.duration("F", Duration.ZERO));
        assertEquals(Duration.ofSeconds(7), src.duration("G", Duration.ZERO));
        assertEquals(Duration.ofSeconds(3), src.duration("MISSING", Duration.ofSeconds(3)));
    }

    @Test
    void badValuesFailWithTheVariablesName() {
        ConfigSource src = ConfigSource.of(Map.of("PORT", "80x", "RANGE", "70000", "FLAG", "maybe", "WAIT", "ten",
                "URL", "ftp://x", "LIST", " , "));
        assertEquals("PORT must be an integer, got '80x'",
                assertThrows(ConfigException.class, () -> src.integer("PORT", 1, 0, 65535)).getMessage());
        assertEquals("RANGE must be between 0 and 65535, got 70000",
                assertThrows(ConfigException.class, () -> src.integer("RANGE", 1, 0, 65535)).getMessage());
        assertEquals("FLAG must be true or false, got 'maybe'",
                assertThrows(ConfigException.class, () -> src.bool("FLAG", false)).getMessage());
        assertEquals("WAIT must be a duration like 500ms, 10s, 5m or 24h, got 'ten'",
                assertThrows(ConfigException.class, () -> src.duration("WAIT", Duration.ZERO)).getMessage());
        assertEquals("URL must be an http or https URL, got 'ftp://x'",
                assertThrows(ConfigException.class, () -> src.uri("URL", "http://a", "http", "https")).getMessage());
        assertEquals("LIST must list at least one value",
                assertThrows(ConfigException.class, () -> src.list("LIST", "a")).getMessage());
    }

    @Test
    void listsAndKeyFamilies() {
        ConfigSource src = ConfigSource.of(Map.of("NATS_URL", "nats://a:4222, nats://b:4222,",
                "WORKER_MAX_AGE_MESSAGE_CREATE", "1m", "WORKER_MAX_AGE", "5s"));
        assertEquals(List.of("nats://a:4222", "nats://b:4222"), src.list("NATS_URL", "nats://127.0.0.1:4222"));
        assertEquals(Set.of("WORKER_MAX_AGE_MESSAGE_CREATE"), src.keysStartingWith("WORKER_MAX_AGE_"));
        assertEquals("http://host:8081/api/v10", src.uri("X", "http://host:8081/api/v10/", "http").toString());
    }
}
