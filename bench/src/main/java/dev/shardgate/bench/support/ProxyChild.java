package dev.shardgate.bench.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shardgate.testkit.NatsServerProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The gateway proxy as it ships: {@code java <flags> -jar gateway-proxy.jar} in a child JVM, configured by
 * environment variables (CONTRACT.md), so its resident memory, threads and CPU can be read from {@code /proc} apart
 * from the benchmark's own JVM. It runs the gateway role alone unless the settings say otherwise ({@code ROLES});
 * with the REST role it serves on a free {@code REST_PORT}. The flags are {@code --jvm}'s plus, with {@code --jfr},
 * a flight recording written when it exits. Output goes to a log file. {@link #close()} sends SIGTERM (so the
 * recording is written), then SIGKILL if it has not exited within 20 s. Used by the benchmark's main thread.
 */
public final class ProxyChild implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How often a wait looks at the proxy: often enough that StartupBench's time to ready is not rounded up much. */
    private static final long POLL_MILLIS = 20;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final int adminPort;
    /** 0 without the REST role. */
    private final int restPort;
    private final Path log;

    private ProxyChild(Process process, int adminPort, int restPort, Path log) {
        this.process = process;
        this.adminPort = adminPort;
        this.restPort = restPort;
        this.log = log;
    }

    /**
     * Starts the proxy against the simulator's API and the nats-server; {@code extra} adds or overrides settings
     * (e.g. {@code SHARD_IDS}, or {@code ROLES=gateway,rest}).
     */
    public static ProxyChild start(BenchOptions options, String apiUrl, String natsUrl, Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>();
        settings.put("NATS_URL", natsUrl);
        settings.putAll(extra);
        return launch(options, apiUrl, settings);
    }

    /** Starts the REST role alone ({@code ROLES=rest}, which needs no NATS) against the simulator's API. */
    public static ProxyChild startRestRole(BenchOptions options, String apiUrl, Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(extra);
        settings.put("ROLES", "rest");
        return launch(options, apiUrl, settings);
    }

    private static ProxyChild launch(BenchOptions options, String apiUrl, Map<String, String> settings) {
        if (!Files.isRegularFile(options.proxyJar())) {
            throw new IllegalStateException(options.proxyJar().toAbsolutePath() + " is missing: build it with "
                    + "./mvnw -B -q -pl bench -am package -DskipTests (or pass --proxy-jar)");
        }
        int adminPort = NatsServerProcess.freePort();
        Map<String, String> env = new HashMap<>();
        env.put("DISCORD_TOKEN", "sim-token");
        env.put("DISCORD_API_URL", apiUrl);
        env.put("ROLES", "gateway");
        env.put("ADMIN_PORT", Integer.toString(adminPort));
        env.put("INSTANCE_ID", "bench");
        env.putAll(settings);
        int restPort = List.of(env.get("ROLES").split(",")).contains("rest") ? NatsServerProcess.freePort() : 0;
        env.put("REST_PORT", Integer.toString(restPort));
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options.proxyJvmFlags());
        command.add("-jar");
        command.add(options.proxyJar().toString());
        try {
            Path log = Files.createTempFile("shardgate-bench-proxy", ".log");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().putAll(env);
            return new ProxyChild(pb.start(), adminPort, restPort, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public ProcessStats stats() {
        return ProcessStats.of(pid());
    }

    /** The REST base a client is pointed at: {@code http://127.0.0.1:PORT/api/v10}. */
    public String restUrl() {
        if (restPort == 0) {
            throw new IllegalStateException("the proxy runs without the REST role");
        }
        return "http://127.0.0.1:" + restPort + "/api/v10";
    }

    /**
     * Waits until {@code /readyz} answers 200 and, with the REST role, the REST port takes connections (the proxy
     * can be ready before its REST port opens); fails with the log if the proxy exits or takes longer.
     */
    public void awaitReady(Duration patience) throws InterruptedException {
        await("become ready", patience, () -> {
            int status = send("/readyz", HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status != 200) {
                return "/readyz answered " + status;
            }
            if (restPort != 0) {
                new Socket(InetAddress.getLoopbackAddress(), restPort).close();
            }
            return null;
        });
    }

    /** Waits until {@code /shards} lists {@code shards} shards, all READY or RESUMED; returns how long it took. */
    public Duration awaitServing(int shards, Duration patience) throws InterruptedException {
        long start = System.nanoTime();
        await("serve " + shards + " shards", patience, () -> {
            List<JsonNode> list = new ArrayList<>();
            JSON.readTree(get("/shards")).forEach(list::add);
            long serving = list.stream().filter(s -> s.path("state").asText().matches("READY|RESUMED")).count();
            return list.size() == shards && serving == shards ? null : serving + " of " + shards + " serving";
        });
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /** One look at the proxy: null once it is in the awaited state, else what it still lacks. */
    private interface Probe {
        String lacking() throws IOException, InterruptedException;
    }

    /**
     * Asks {@code probe} every {@value #POLL_MILLIS} ms until it is satisfied; fails with the log if the proxy exits
     * or time is up.
     */
    private void await(String what, Duration patience, Probe probe) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the proxy exited with " + process.exitValue() + ":\n" + logTail());
            }
            try {
                last = probe.lacking();
                if (last == null) {
                    return;
                }
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(POLL_MILLIS);
        }
        throw new IllegalStateException("the proxy did not " + what + " within " + patience + " (" + last + "):\n"
                + logTail());
    }

    /** The body of an admin HTTP GET. */
    public String get(String path) throws IOException, InterruptedException {
        return send(path, HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The proxy's metrics now. */
    public PrometheusText metrics() throws IOException, InterruptedException {
        return new PrometheusText(get("/metrics"));
    }

    private <T> HttpResponse<T> send(String path, HttpResponse.BodyHandler<T> body)
            throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
                .timeout(Duration.ofSeconds(10)).build(), body);
    }

    /**
     * Runs {@code jcmd <pid> <command>} (e.g. {@code GC.run}) with the JDK that runs the proxy; returns its output.
     */
    public String jcmd(String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
        cmd.add(Long.toString(pid()));
        cmd.addAll(List.of(command));
        Process jcmd = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!jcmd.waitFor(60, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed: " + output);
        }
        return output;
    }

    /** The last 40 lines of the proxy's output, for error messages. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException e) {
            System.err.println("could not delete " + log + ": " + e);
        }
    }
}
