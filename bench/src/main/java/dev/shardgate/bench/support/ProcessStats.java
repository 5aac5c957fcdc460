package dev.shardgate.bench.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * One reading of a Linux process from {@code /proc/<pid>}: resident memory ({@code VmRSS}), OS threads (every
 * platform thread, including virtual threads' carriers and the JVM's own; virtual threads themselves do not appear)
 * and CPU time used so far ({@code utime + stime}). Stateless; any thread.
 */
public record ProcessStats(long rssBytes, int threads, double cpuSeconds) {
    /** Clock ticks per second of {@code /proc/<pid>/stat}; 100 on every Linux this runs on (getconf CLK_TCK). */
    private static final double TICKS_PER_SECOND = 100.0;

    public static ProcessStats of(long pid) {
        try {
            Path proc = Path.of("/proc", Long.toString(pid));
            long rssKb = -1;
            int threads = -1;
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                if (line.startsWith("VmRSS:")) {
                    rssKb = Long.parseLong(line.replaceAll("\\D", ""));
                } else if (line.startsWith("Threads:")) {
                    threads = Integer.parseInt(line.replaceAll("\\D", ""));
                }
            }
            // Fields after the command name, which is in parentheses and may contain spaces: state is field 3,
            // utime field 14 and stime field 15 (proc(5)).
            String stat = Files.readString(proc.resolve("stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ", -1);
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            if (rssKb < 0 || threads < 0) {
                throw new IllegalStateException("/proc/" + pid + "/status has no VmRSS or Threads");
            }
            return new ProcessStats(rssKb * 1024, threads, ticks / TICKS_PER_SECOND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/" + pid + " (has the process exited?)", e);
        }
    }

    /**
     * The process's OS threads by name ({@code /proc/<pid>/task/<tid>/comm}, cut at 15 characters by Linux), digits
     * replaced by {@code #} so that numbered pools count as one: where the threads come from.
     */
    public static Map<String, Integer> threadNames(long pid) {
        Map<String, Integer> names = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            tasks.forEach(task -> {
                try {
                    names.merge(Files.readString(task.resolve("comm")).strip().replaceAll("\\d+", "#"), 1,
                            Integer::sum);
                } catch (IOException gone) {
                    // The thread ended while we listed them.
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the threads of " + pid, e);
        }
        return names;
    }

    /**
     * CPU time used so far by the JIT compiler's threads ({@code C1/C2 CompilerThread#}), in seconds. A compiler
     * thread that has ended since is no longer counted, so a difference of two readings can only fall short.
     */
    public static double jitCpuSeconds(long pid) {
        double seconds = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    if (!Files.readString(task.resolve("comm")).strip().matches("C[12] CompilerThre.*")) {
                        continue;
                    }
                    String stat = Files.readString(task.resolve("stat"));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ", -1);
                    seconds += (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
                } catch (IOException gone) {
                    // The thread ended while we listed them.
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the threads of " + pid, e);
        }
        return seconds;
    }

    public double rssMb() {
        return rssBytes / (1024.0 * 1024.0);
    }
}
