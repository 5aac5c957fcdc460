package dev.shardgate.bench.support;

import dev.shardgate.proxy.ProxyMain;
import dev.shardgate.testkit.JavaProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway proxy ({@link ProxyMain}) as a child JVM, as it is deployed, on free ports: its REST and admin ports,
 * its CPU time (from {@code /proc/<pid>/stat}) and its Prometheus metrics. With a JFR file it records itself
 * (through {@code JDK_JAVA_OPTIONS}, which the {@code java} launcher reads). {@link #close()} kills it.
 */
public final class ProxyProcess implements AutoCloseable {
    private static final long CLOCK_TICK_NANOS = 10_000_000L; // USER_HZ is 100 on Linux
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final JavaProcess process;
    private final int restPort;
    private final int adminPort;

    private ProxyProcess(JavaProcess process, int restPort, int adminPort) {
        this.process = process;
        this.restPort = restPort;
        this.adminPort = adminPort;
    }

    /** Starts the proxy with these settings (CONTRACT.md) plus {@code REST_PORT} and {@code ADMIN_PORT}. */
    public static ProxyProcess start(Map<String, String> env, Optional<Path> jfr) throws IOException {
        int restPort = freePort();
        int adminPort = freePort();
        Map<String, String> all = new HashMap<>(env);
        all.put("REST_PORT", Integer.toString(restPort));
        all.put("ADMIN_PORT", Integer.toString(adminPort));
        jfr.ifPresent(f -> all.put("JDK_JAVA_OPTIONS",
                "-XX:StartFlightRecording=filename=" + f.toAbsolutePath() + ",settings=profile,dumponexit=true"));
        return new ProxyProcess(JavaProcess.start(ProxyMain.class, all), restPort, adminPort);
    }

    public int restPort() {
        return restPort;
    }

    /** The REST base a client is pointed at: {@code http://127.0.0.1:PORT/api/v10}. */
    public String restUrl() {
        return "http://127.0.0.1:" + restPort + "/api/v10";
    }

    public long pid() {
        return process.pid();
    }

    /**
     * Waits until {@code /readyz} answers 200 and the REST port takes connections (a REST-only proxy is ready
     * before its REST port opens); fails with the child's log if it dies or takes too long.
     */
    public void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/readyz"))
                .timeout(Duration.ofSeconds(2)).build();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the proxy exited:\n" + process.logText());
            }
            try {
                if (HTTP.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    new Socket("127.0.0.1", restPort).close();
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the proxy was not ready within " + timeout + ":\n"
                        + process.logText());
            }
            Thread.sleep(100);
        }
    }

    /** CPU time (user + system) the process has used so far. */
    public long cpuNanos() throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
        // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14, 15.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * CLOCK_TICK_NANOS;
    }

    /** The Prometheus text of {@code /metrics}. */
    public String metrics() throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The value of the first sample named exactly {@code name} whose labels contain {@code labels}. */
    public static OptionalDouble sample(String metrics, String name, String labels) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)").matcher(metrics);
        while (m.find()) {
            if (labels.isEmpty() || (m.group(1) != null && m.group(1).contains(labels))) {
                return OptionalDouble.of(Double.parseDouble(m.group(2)));
            }
        }
        return OptionalDouble.empty();
    }

    public String log() {
        return process.logText();
    }

    /** SIGTERM (so a JFR recording is written), then SIGKILL if it lingers. */
    @Override
    public void close() {
        if (process.terminate(30) < 0) {
            process.kill();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
