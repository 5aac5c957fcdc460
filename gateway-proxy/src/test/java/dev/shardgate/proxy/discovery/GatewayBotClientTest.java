package dev.shardgate.proxy.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.protocol.BotToken;
import dev.shardgate.simulator.Simulator;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("process")
class GatewayBotClientTest {
    @Test
    void readsUrlShardsAndSessionStartLimit() throws Exception {
        GatewayBot bot = GatewayBotClient.parse(("{\"url\":\"wss://gateway.discord.gg\",\"shards\":16,"
                + "\"session_start_limit\":{\"total\":1000,\"remaining\":987,\"reset_after\":51234567,"
                + "\"max_concurrency\":4}}").getBytes(StandardCharsets.UTF_8));
        assertEquals(URI.create("wss://gateway.discord.gg"), bot.url());
        assertEquals(16, bot.shards());
        assertEquals(new GatewayBot.SessionStartLimit(1000, 987, Duration.ofMillis(51234567), 4),
                bot.sessionStartLimit());
    }

    @Test
    void missingFieldsAreNamedAndRetryable() {
        DiscoveryException e = assertThrows(DiscoveryException.class, () -> GatewayBotClient.parse(
                "{\"url\":\"wss://g\",\"session_start_limit\":{\"total\":1}}".getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().contains("shards, remaining, reset_after, max_concurrency"), e.getMessage());
        assertTrue(e.retryable());
        assertThrows(DiscoveryException.class, () -> GatewayBotClient.parse("not json".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aRejectedTokenIsFinalAndTheMessageNeverShowsIt() throws Exception {
        try (Simulator sim = Simulator.builder().token("right-token").start()) {
            GatewayBotClient client = new GatewayBotClient(URI.create(sim.apiUrl()), BotToken.of("wrong-token"));
            DiscoveryException e = assertThrows(DiscoveryException.class, client::fetchWithRetry);
            assertFalse(e.retryable());
            assertTrue(e.getMessage().contains("401"), e.getMessage());
            assertFalse(e.getMessage().contains("wrong-token"));
            GatewayBot ok = new GatewayBotClient(URI.create(sim.apiUrl()), BotToken.of("right-token")).fetch();
            assertEquals(URI.create(sim.gateway().url()), ok.url());
        }
    }

    @Test
    void aPlainHttpApiUrlIsAskedOverHttp11WithoutAnUpgrade() throws Exception {
        try (UpgradeRefusingHttpServer server = UpgradeRefusingHttpServer.start("{\"url\":\"wss://gateway.discord.gg\","
                + "\"shards\":2,\"session_start_limit\":{\"total\":1000,\"remaining\":999,\"reset_after\":1000,"
                + "\"max_concurrency\":1}}")) {
            GatewayBot bot = new GatewayBotClient(URI.create(server.url() + "/api/v10"), BotToken.of("t")).fetch();
            assertEquals(2, bot.shards());
            String head = server.requestHeads().getFirst();
            assertTrue(head.startsWith("GET /api/v10/gateway/bot HTTP/1.1\r\n"), head);
        }
    }

    /** Without this the test above could pass against a server that never refuses anything. */
    @Test
    void theTestServerRefusesARequestThatAsksForAnUpgrade() throws Exception {
        try (UpgradeRefusingHttpServer server = UpgradeRefusingHttpServer.start("{}");
             Socket socket = new Socket(InetAddress.getLoopbackAddress(), URI.create(server.url()).getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET /api/v10/gateway/bot HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                    + "UPGRADE: h2c\r\nHTTP2-Settings: AAEAAEAAAAIAAAABAAMAAABkAAQBAAAAAAUAAEAA\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
        }
    }
}
