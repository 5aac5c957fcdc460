package dev.shardgate.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Sends a POSIX signal to a process by name ({@code STOP}, {@code CONT}, {@code TERM}) with {@code kill}. */
final class Signals {
    private Signals() {
    }

    static void send(Process process, String name) {
        try {
            int rc = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
            if (rc != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed with " + rc);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
