package dev.shardgate.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.config.Backoff;
import dev.shardgate.config.ConfigException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {
    @Test
    void defaultsFollowTheContract() {
        WorkerConfig c = WorkerConfig.from(Map.of());
        assertEquals(List.of("nats://127.0.0.1:4222"), c.natsUrls());
        assertEquals("discord", c.subjects().prefix());
        assertEquals("DISCORD_EVENTS", c.eventsStream());
        assertEquals("http://127.0.0.1:8081/api/v10", c.restProxyUrl().toString());
        assertEquals("workers", c.consumer());
        assertEquals(Duration.ofSeconds(3), c.maxAgeOf("INTERACTION_CREATE"));
        assertEquals(Duration.ZERO, c.maxAgeOf("MESSAGE_CREATE"));
        assertFalse(c.ordered());
        assertEquals(0, c.metricsPort(), "an embedded library opens no port unless asked");
        assertEquals(Duration.ofMinutes(5), c.transientRetryLimit());
        assertEquals(Duration.ofMinutes(1), c.slowHandler());
        assertEquals(new Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5)), c.redeliveryBackoff());
        assertEquals(new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30)), c.transientBackoff());
    }

    @Test
    void perTypeAgeLimitsAndListsAreRead() {
        WorkerConfig c = WorkerConfig.from(Map.of("NATS_URL", "nats://a:4222, nats://b:4222",
                "WORKER_MAX_AGE", "1m", "WORKER_MAX_AGE_INTERACTION_CREATE", "2500ms", "WORKER_ORDERED", "yes"));
        assertEquals(List.of("nats://a:4222", "nats://b:4222"), c.natsUrls());
        assertEquals(Duration.ofMillis(2500), c.maxAgeOf("INTERACTION_CREATE"));
        assertEquals(Duration.ofMinutes(1), c.maxAgeOf("GUILD_CREATE"));
        assertTrue(c.ordered());
    }

    @Test
    void badValuesFailWithTheVariableInTheMessage() {
        assertMessage("WORKER_MAX_IN_FLIGHT must be between 1 and 100000, got 0", Map.of("WORKER_MAX_IN_FLIGHT", "0"));
        assertMessage("WORKER_DRAIN_TIMEOUT must be a duration like 500ms, 10s, 5m or 24h, got 'soon'",
                Map.of("WORKER_DRAIN_TIMEOUT", "soon"));
        assertMessage("REST_PROXY_URL must be an http or https URL, got 'ftp://x'", Map.of("REST_PROXY_URL", "ftp://x"));
        assertMessage("WORKER_CONSUMER must be letters, digits, '_' or '-', got 'a.b'", Map.of("WORKER_CONSUMER", "a.b"));
        assertMessage("WORKER_ORDERED must be true or false, got 'maybe'", Map.of("WORKER_ORDERED", "maybe"));
        assertMessage("WORKER_SLOW_HANDLER must be at least 1s, got PT0.5S", Map.of("WORKER_SLOW_HANDLER", "500ms"));
        assertMessage("WORKER_TRANSIENT_RETRY_LIMIT must be a duration like 500ms, 10s, 5m or 24h, got 'later'",
                Map.of("WORKER_TRANSIENT_RETRY_LIMIT", "later"));
    }

    @Test
    void toStringHidesTheSecret() {
        String s = WorkerConfig.from(Map.of("REST_PROXY_SECRET", "very-secret-value")).toString();
        assertFalse(s.contains("very-secret-value"));
    }

    private static void assertMessage(String expected, Map<String, String> env) {
        assertEquals(expected, assertThrows(ConfigException.class, () -> WorkerConfig.from(env)).getMessage());
    }
}
