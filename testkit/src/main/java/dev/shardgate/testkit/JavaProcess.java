package dev.shardgate.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM running a main class from the test's own classpath: a real process that tests can SIGTERM,
 * SIGKILL, SIGSTOP and SIGCONT. Its output goes to a log file, returned by {@link #log()}.
 */
public final class JavaProcess implements AutoCloseable {
    private final Process process;
    private final Path log;

    private JavaProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    public static JavaProcess start(Class<?> mainClass, Map<String, String> env, String... args) {
        try {
            Path log = Files.createTempFile("shardgate-" + mainClass.getSimpleName(), ".log");
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.add("-Xmx256m");
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(mainClass.getName());
            command.addAll(List.of(args));
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            pb.environment().putAll(env);
            return new JavaProcess(pb.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path log() {
        return log;
    }

    public String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** SIGTERM, then waits up to {@code timeoutSeconds} for the exit; returns the exit code or -1. */
    public int terminate(long timeoutSeconds) {
        process.destroy();
        return waitFor(timeoutSeconds);
    }

    public void kill() {
        process.destroyForcibly();
        waitFor(10);
    }

    public void signal(String name) {
        Signals.send(process, name);
    }

    public int waitFor(long timeoutSeconds) {
        try {
            return process.waitFor(timeoutSeconds, TimeUnit.SECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            signal("CONT");
            kill();
        }
    }
}
