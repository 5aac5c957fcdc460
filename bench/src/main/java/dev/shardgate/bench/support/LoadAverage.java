package dev.shardgate.bench.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The machine's load average ({@code /proc/loadavg}: runnable and waiting tasks over 1, 5 and 15 minutes) beside its
 * cores, so that a benchmark can print how busy the shared machine was instead of assuming it. Immutable; any thread.
 */
public record LoadAverage(double oneMinute, double fiveMinutes, double fifteenMinutes, int cores) {

    public static LoadAverage now() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+", -1);
            return new LoadAverage(Double.parseDouble(fields[0]), Double.parseDouble(fields[1]),
                    Double.parseDouble(fields[2]), Runtime.getRuntime().availableProcessors());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/loadavg", e);
        }
    }

    /** More runnable tasks over the last minute than cores: some of them waited for a core. */
    public boolean overloaded() {
        return oneMinute > cores;
    }

    /** {@code 2.10 / 1.80 / 1.50 (1 / 5 / 15 min) on 2 cores}. */
    public String text() {
        return String.format(Locale.ROOT, "%.2f / %.2f / %.2f (1 / 5 / 15 min) on %d cores", oneMinute, fiveMinutes,
                fifteenMinutes, cores);
    }
}
