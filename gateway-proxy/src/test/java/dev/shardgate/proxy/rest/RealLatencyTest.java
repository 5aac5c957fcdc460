package dev.shardgate.proxy.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shardgate.simulator.rest.RateLimitScope;
import dev.shardgate.simulator.rest.RestSettings;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The global limit with Discord 80–120 ms away (the simulator delays each answer by a random time in that range):
 * the proxy holds a slot for a window plus the round trips' spread after its grant, not after its answer, and
 * Discord still never answers 429. How much of the limit it uses is measured by the benchmark and, on virtual time,
 * by {@code LimiterTest}.
 */
@Tag("process")
class RealLatencyTest {
    @Test
    void aBurstOverTheGlobalLimitWithDiscordFarAwayGetsNo429() {
        try (SimulatedDiscord discord = new SimulatedDiscord(RestSettings.defaults().withGlobalLimit(50));
                ProxyUnderTest proxy = new ProxyUnderTest(discord.apiUrl(), Map.of("REST_GLOBAL_LIMIT", "50"))) {
            discord.rest.faults().latency(Duration.ofMillis(80), Duration.ofMillis(120));
            List<CompletableFuture<HttpResponse<String>>> pending = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                pending.add(proxy.sendAsync(proxy.request("/channels/" + (100_000_000_000_000_000L + i)).GET()
                        .build()));
            }
            for (CompletableFuture<HttpResponse<String>> answer : pending) {
                assertEquals(200, answer.join().statusCode());
            }
            assertEquals(0, discord.rest.observations().rateLimited(RateLimitScope.GLOBAL));
            assertEquals(0, discord.rest.observations().rateLimited(RateLimitScope.USER));
        }
    }
}
