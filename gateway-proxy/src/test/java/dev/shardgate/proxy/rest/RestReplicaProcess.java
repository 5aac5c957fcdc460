package dev.shardgate.proxy.rest;

import static org.awaitility.Awaitility.await;

import dev.shardgate.proxy.ProxyMain;
import dev.shardgate.proxy.rest.shared.ShareMode;
import dev.shardgate.testkit.JavaProcess;
import dev.shardgate.testkit.NatsServerProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * A REST proxy replica as a real child process ({@link ProxyMain} with {@code ROLES=rest} in its own JVM) sharing
 * its limits through a nats-server, in front of a simulator: tests can SIGKILL or SIGSTOP it. Its mode is read
 * from its admin {@code /metrics}.
 */
final class RestReplicaProcess implements AutoCloseable {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    final JavaProcess process;
    final int restPort;
    private final int adminPort;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).executor(Executors.newVirtualThreadPerTaskExecutor()).build();

    private RestReplicaProcess(JavaProcess process, int restPort, int adminPort) {
        this.process = process;
        this.restPort = restPort;
        this.adminPort = adminPort;
    }

    /** Starts a replica; {@code extra} adds or overrides settings. See {@link #awaitServing()}. */
    static RestReplicaProcess launch(SimulatedDiscord discord, NatsServerProcess nats, Map<String, String> extra) {
        int restPort = NatsServerProcess.freePort();
        int adminPort = NatsServerProcess.freePort();
        Map<String, String> env = new HashMap<>();
        env.put("DISCORD_TOKEN", SimulatedDiscord.TOKEN);
        env.put("DISCORD_API_URL", discord.apiUrl().toString());
        env.put("ROLES", "rest");
        env.put("REST_PORT", Integer.toString(restPort));
        env.put("ADMIN_PORT", Integer.toString(adminPort));
        env.put("NATS_URL", nats.url());
        env.put("REST_SHARE_LIMITS", "true");
        env.putAll(extra);
        return new RestReplicaProcess(JavaProcess.start(ProxyMain.class, env), restPort, adminPort);
    }

    /** Starts a replica and waits until it serves. */
    static RestReplicaProcess start(SimulatedDiscord discord, NatsServerProcess nats, Map<String, String> extra) {
        RestReplicaProcess r = launch(discord, nats, extra);
        r.awaitServing();
        return r;
    }

    void awaitServing() {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .failFast("the replica exited:\n" + process.logText(), () -> !process.isAlive())
                .until(() -> mode() != null && accepts());
    }

    /** The replica's sharing mode, from {@code shardgate_rest_share_mode} (0 fallback, 1 follower, 2 leader). */
    ShareMode mode() throws IOException, InterruptedException {
        String metrics = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(l -> l.startsWith("shardgate_rest_share_mode ")).findFirst()
                .map(l -> ShareMode.ofGaugeValue((int) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))))
                .orElse(null);
    }

    /** Whether the REST port takes connections (the admin server is up before it). */
    private boolean accepts() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), restPort), 1_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The mode, or null when the replica does not answer (killed or frozen). */
    ShareMode modeOrNull() {
        try {
            return mode();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + restPort + "/api/v10" + path))
                .timeout(Duration.ofSeconds(60));
    }

    @Override
    public void close() {
        process.close();
        client.shutdownNow();
    }
}
