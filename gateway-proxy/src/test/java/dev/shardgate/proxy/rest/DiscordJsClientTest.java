package dev.shardgate.proxy.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.simulator.rest.RateLimitScope;
import dev.shardgate.simulator.rest.RestSettings;
import dev.shardgate.simulator.rest.RouteBucket;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A real third-party client, discord.js's {@code @discordjs/rest} (pinned in src/test/node/package-lock.json), works
 * through the proxy unchanged: JSON and multipart requests, its own token, its own rate-limit handling.
 * Needs node and npm on the PATH; the first run installs the pinned package (npm's cache serves later runs).
 */
@Tag("process")
class DiscordJsClientTest {
    private static final Path SOURCE = Path.of("src/test/node");
    private static final Path WORK = Path.of("target/discordjs-client");

    @Test
    void discordJsRestWorksThroughTheProxyUnchanged() throws Exception {
        installClient();
        try (SimulatedDiscord discord = new SimulatedDiscord(RestSettings.defaults())) {
            discord.rest.setBucketLimit(RouteBucket.CREATE_MESSAGE, 10, Duration.ofSeconds(1));
            try (ProxyUnderTest proxy = new ProxyUnderTest(discord.apiUrl(), Map.of())) {
                String out = run(List.of("node", "client.mjs"), Map.of(
                        "PROXY_API", "http://127.0.0.1:" + proxy.proxy.port() + "/api",
                        "DISCORD_TOKEN", SimulatedDiscord.TOKEN,
                        "CHANNEL_ID", "820675644227723272",
                        "MESSAGES", "25"), 120);
                JsonNode summary = new ObjectMapper().readTree(out.lines().reduce((a, b) -> b).orElse("{}"));
                assertEquals(0, summary.path("errors").size(), out);
                assertEquals(25, summary.path("sent").asInt(), out);
                assertEquals("shards.csv", summary.path("uploaded").path(0).asText(), out);
                assertEquals("hello 0", summary.path("fetched").asText(), out);
                assertEquals(Long.toUnsignedString(discord.rest.botUserId()), summary.path("me").asText(), out);
                assertEquals(0, discord.rest.observations().rateLimited(RateLimitScope.USER));
                assertEquals(0, discord.rest.observations().rateLimited(RateLimitScope.GLOBAL));
            }
        }
    }

    private static void installClient() throws Exception {
        Files.createDirectories(WORK);
        for (String f : List.of("package.json", "package-lock.json", "client.mjs")) {
            Files.copy(SOURCE.resolve(f), WORK.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.isDirectory(WORK.resolve("node_modules/@discordjs/rest"))) {
            run(List.of("npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"), Map.of(), 300);
        }
    }

    private static String run(List<String> command, Map<String, String> env, long timeoutSeconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(WORK.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        Path log = Files.createTempFile("discordjs", ".log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        String out = read(log);
        assertTrue(done && p.exitValue() == 0, String.join(" ", command) + " failed:\n" + out);
        return out;
    }

    private static String read(Path log) throws IOException {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
