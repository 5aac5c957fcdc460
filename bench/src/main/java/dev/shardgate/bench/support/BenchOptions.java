package dev.shardgate.bench.support;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The command line every benchmark takes (HELPERS.md): {@code --out <file.md>} writes the fragment there instead of
 * to stdout, {@code --smoke} runs a short pass of the same code, {@code --jfr <file.jfr>} records the child
 * process under test with Java Flight Recorder (for finding where its time goes). Anything else is refused.
 */
public record BenchOptions(Optional<Path> out, boolean smoke, Optional<Path> jfr) {

    public static BenchOptions parse(String... args) {
        Path out = null;
        Path jfr = null;
        boolean smoke = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--smoke" -> smoke = true;
                case "--out" -> out = Path.of(value(args, ++i, "--out"));
                case "--jfr" -> jfr = Path.of(value(args, ++i, "--jfr"));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + "; usage: [--out file.md] [--smoke] [--jfr file.jfr]");
            }
        }
        return new BenchOptions(Optional.ofNullable(out), smoke, Optional.ofNullable(jfr));
    }

    private static String value(String[] args, int i, String name) {
        if (i >= args.length || args[i].startsWith("--")) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return args[i];
    }
}
