package dev.shardgate.bench.support;

import java.util.Arrays;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The frame of every benchmark main: parses {@link BenchOptions}, keeps the in-process simulator's and clients' logs
 * to warnings, runs the benchmark, writes its {@link Fragment}, and exits 0; on any failure it prints why and exits
 * 1, so {@code scripts/bench.sh} can say on the page that it failed.
 */
public final class BenchMain {
    /** A benchmark: measures and returns its fragment. */
    public interface Body {
        Fragment run(BenchOptions options) throws Exception;
    }

    private BenchMain() {
    }

    public static void run(Class<?> bench, String[] args, Body body) {
        Logger root = Logger.getLogger("");
        root.setLevel(Level.WARNING);
        Arrays.stream(root.getHandlers()).forEach(h -> h.setLevel(Level.WARNING));
        try {
            BenchOptions options = BenchOptions.parse(bench.getName(), args);
            body.run(options).write(options.out());
        } catch (Throwable e) {
            System.err.println(bench.getSimpleName() + " failed: " + e);
            e.printStackTrace();
            System.exit(1);
        }
        System.exit(0);
    }
}
