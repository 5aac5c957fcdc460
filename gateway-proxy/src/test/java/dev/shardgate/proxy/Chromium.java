package dev.shardgate.proxy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Finds Debian's {@code chromium} for the browser tests, installing it with apt-get when it is missing and the test
 * runs as root (as CI does); otherwise fails with what to install. A browser test that skipped itself would let a
 * broken page through CI unnoticed.
 */
final class Chromium {
    private static final List<Path> CANDIDATES = List.of(Path.of("/usr/bin/chromium"),
            Path.of("/usr/bin/chromium-browser"));

    private Chromium() {
    }

    /** The browser's executable; installs the package first when needed and allowed. */
    static synchronized Path executable() throws IOException, InterruptedException {
        Path found = find();
        if (found != null) {
            return found;
        }
        if (!isRoot()) {
            throw new IllegalStateException("the status page tests need Chromium: install Debian's 'chromium' "
                    + "package (sudo apt-get install -y chromium), or run the tests as root to have it installed");
        }
        run(List.of("apt-get", "update", "-q"));
        run(List.of("apt-get", "install", "-y", "-q", "--no-install-recommends", "chromium"));
        found = find();
        if (found == null) {
            throw new IllegalStateException("apt-get installed 'chromium' but none of " + CANDIDATES + " exists");
        }
        return found;
    }

    private static Path find() {
        return CANDIDATES.stream().filter(Files::isExecutable).findFirst().orElse(null);
    }

    private static boolean isRoot() throws IOException, InterruptedException {
        Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
        String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        return id.waitFor() == 0 && uid.equals("0");
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("chromium-install", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process p = pb.start();
            if (!p.waitFor(15, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " took over 15 minutes");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (exit " + p.exitValue()
                        + "):\n" + Files.readString(log, StandardCharsets.UTF_8));
            }
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
