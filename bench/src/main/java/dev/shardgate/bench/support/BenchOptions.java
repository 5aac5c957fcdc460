package dev.shardgate.bench.support;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The command line every benchmark of the suite takes (the fragment contract): {@code --out <file.md>} (where the
 * fragment goes; stdout without it), {@code --smoke} (a short run of the same code path), and, for benchmarks that
 * launch the gateway proxy as a child JVM, {@code --jvm "<flags>"} (its JVM flags, split on spaces) and
 * {@code --proxy-jar <path>} (default {@code gateway-proxy/target/gateway-proxy.jar}). Anything else is refused
 * with the usage.
 */
public record BenchOptions(Path out, boolean smoke, List<String> jvmFlags, Path proxyJar) {
    public static final Path DEFAULT_PROXY_JAR = Path.of("gateway-proxy", "target", "gateway-proxy.jar");

    public static BenchOptions parse(String benchName, String[] args) {
        Path out = null;
        boolean smoke = false;
        List<String> jvm = List.of();
        Path jar = DEFAULT_PROXY_JAR;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--smoke" -> smoke = true;
                case "--out" -> out = Path.of(value(benchName, args, ++i));
                case "--jvm" -> jvm = splitFlags(value(benchName, args, ++i));
                case "--proxy-jar" -> jar = Path.of(value(benchName, args, ++i));
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "\n" + usage(benchName));
            }
        }
        return new BenchOptions(out, smoke, jvm, jar);
    }

    private static String value(String benchName, String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value\n" + usage(benchName));
        }
        return args[i];
    }

    private static List<String> splitFlags(String flags) {
        List<String> out = new ArrayList<>(Arrays.asList(flags.trim().split("\\s+")));
        out.removeIf(String::isEmpty);
        return List.copyOf(out);
    }

    private static String usage(String benchName) {
        return "usage: java -cp bench/target/bench.jar " + benchName
                + " [--out <file.md>] [--smoke] [--jvm \"<proxy JVM flags>\"] [--proxy-jar <path>]";
    }

    /** The proxy's JVM flags as the fragment names them. */
    public String jvmFlagsText() {
        return jvmFlags.isEmpty() ? "none (the JVM's defaults, as `java -jar` in the README)"
                : "`" + String.join(" ", jvmFlags) + "`";
    }
}
