package dev.shardgate.bench.support;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The command line every benchmark of the suite takes (the fragment contract): {@code --out <file.md>} (where the
 * fragment goes; stdout without it), {@code --smoke} (a short run of the same code path), and, for benchmarks that
 * launch the gateway proxy as a child JVM, {@code --jvm "<flags>"} (its JVM flags, split on spaces) and
 * {@code --proxy-jar <path>} (default {@code gateway-proxy/target/gateway-proxy.jar}) and {@code --jfr <file.jfr>}
 * (record that child with Java Flight Recorder, to find where its time goes). Anything else is refused with the
 * usage. {@code out} and {@code jfr} are null when not given.
 */
public record BenchOptions(Path out, boolean smoke, List<String> jvmFlags, Path proxyJar, Path jfr) {
    public static final Path DEFAULT_PROXY_JAR = Path.of("gateway-proxy", "target", "gateway-proxy.jar");

    public static BenchOptions parse(String benchName, String[] args) {
        Path out = null;
        boolean smoke = false;
        List<String> jvm = List.of();
        Path jar = DEFAULT_PROXY_JAR;
        Path jfr = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--smoke" -> smoke = true;
                case "--out" -> out = Path.of(value(benchName, args, ++i));
                case "--jvm" -> jvm = splitFlags(value(benchName, args, ++i));
                case "--proxy-jar" -> jar = Path.of(value(benchName, args, ++i));
                case "--jfr" -> jfr = Path.of(value(benchName, args, ++i));
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + "\n" + usage(benchName));
            }
        }
        return new BenchOptions(out, smoke, jvm, jar, jfr);
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
                + " [--out <file.md>] [--smoke] [--jvm \"<proxy JVM flags>\"] [--proxy-jar <path>]"
                + " [--jfr <file.jfr>]";
    }

    /** These options with {@code flag} added to the proxy child's JVM flags: a benchmark's own instrument, a GC log. */
    public BenchOptions withJvmFlag(String flag) {
        List<String> flags = new ArrayList<>(jvmFlags);
        flags.add(flag);
        return new BenchOptions(out, smoke, List.copyOf(flags), proxyJar, jfr);
    }

    /** The proxy child's JVM flags: those of {@code --jvm}, then the recording {@code --jfr} asks for. */
    public List<String> proxyJvmFlags() {
        if (jfr == null) {
            return jvmFlags;
        }
        List<String> flags = new ArrayList<>(jvmFlags);
        flags.add("-XX:StartFlightRecording=filename=" + jfr.toAbsolutePath() + ",settings=profile,dumponexit=true");
        return List.copyOf(flags);
    }

    /** The proxy's JVM flags as the fragment names them. */
    public String jvmFlagsText() {
        List<String> flags = proxyJvmFlags();
        return flags.isEmpty() ? "none (the JVM's defaults, as `java -jar` in the README)"
                : "`" + String.join(" ", flags) + "`";
    }
}
