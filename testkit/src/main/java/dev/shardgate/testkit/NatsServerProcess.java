package dev.shardgate.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A real nats-server with JetStream on a free 127.0.0.1 port and a temporary store, for tests that need
 * isolation or fault injection. {@link #stop()} kills it and {@link #start()} brings it back on the same
 * port with the same store, as a restarted server would. {@link #startWithConfig(String)} adds settings of a
 * nats-server config file (e.g. a small {@code max_payload}). The test that creates it owns the process.
 */
public final class NatsServerProcess implements AutoCloseable {
    private final int port;
    private final Path storeDir;
    private final Path logFile;
    /** A config file of extra settings, or null; command-line flags (port, JetStream, store) take precedence. */
    private final Path configFile;
    private Process process;

    private NatsServerProcess(int port, Path storeDir, Path configFile) {
        this.port = port;
        this.storeDir = storeDir;
        this.logFile = storeDir.resolve("nats-server.log");
        this.configFile = configFile;
    }

    /** Starts a fresh server. */
    public static NatsServerProcess start() {
        return startWithConfig(null);
    }

    /**
     * Starts a fresh server that also reads {@code config}, the text of a nats-server config file, e.g.
     * {@code "max_payload: 65536"}. Restarts keep it. Port, JetStream and its store come from this class.
     */
    public static NatsServerProcess startWithConfig(String config) {
        try {
            Path storeDir = Files.createTempDirectory("shardgate-nats");
            Path configFile = null;
            if (config != null) {
                configFile = Files.writeString(storeDir.resolve("nats-server.conf"), config + System.lineSeparator());
            }
            NatsServerProcess server = new NatsServerProcess(freePort(), storeDir, configFile);
            server.startProcess();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Restarts a stopped server on the same port and store. */
    public synchronized void restart() {
        if (!isRunning()) {
            startProcess();
        }
    }

    /**
     * Freezes the server (SIGSTOP): connections stay open but nothing is answered, as in a network partition,
     * until {@link #thaw}.
     */
    public synchronized void freeze() {
        Signals.send(process, "STOP");
    }

    public synchronized void thaw() {
        Signals.send(process, "CONT");
    }

    /** Kills the server (SIGKILL): clients see the connection drop without a goodbye. */
    public synchronized void stop() {
        if (process != null) {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    @Override
    public void close() {
        stop();
        try (Stream<Path> files = Files.walk(storeDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a leftover temp directory is harmless
        }
    }

    private synchronized void startProcess() {
        List<String> command = new ArrayList<>(List.of(binary(), "-a", "127.0.0.1", "-p", Integer.toString(port),
                "-js", "-sd", storeDir.toString(), "-l", logFile.toString()));
        if (configFile != null) {
            command.addAll(List.of("-c", configFile.toString()));
        }
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(storeDir.resolve("stdout.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start nats-server (is it installed?)", e);
        }
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (Instant.now().isBefore(deadline)) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return;
            } catch (IOException notYet) {
                if (!process.isAlive()) {
                    break;
                }
                Thread.onSpinWait();
            }
        }
        throw new IllegalStateException("nats-server did not start on port " + port + "; see " + logFile);
    }

    private static String binary() {
        for (String candidate : List.of("/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return "nats-server";
    }

    /** A port that was free a moment ago on 127.0.0.1. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
