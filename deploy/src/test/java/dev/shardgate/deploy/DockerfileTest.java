package dev.shardgate.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The Dockerfiles, checked as far as a machine without a container daemon can: every file the runtime stage copies
 * from the build is in the checkout or is the jar its module's package phase makes (it exists when this module's
 * tests run in {@code verify}, after the jars; {@code test} packages nothing), the images run as a non-root
 * user the command the README documents, the proxy with the JVM flags the benchmarks chose, and expose the ports the
 * chart's pods use.
 */
class DockerfileTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void theProxyImageRunsTheJarWithTheBenchmarkedFlagsAsANonRootUser() throws IOException {
        Dockerfile proxy = Dockerfile.read(ROOT.resolve("gateway-proxy/Dockerfile"));
        assertCopiedFilesExist(proxy);
        assertEquals(List.of("java", "@/app/jvm.options", "-jar", "/app/gateway-proxy.jar"), proxy.entrypoint());
        assertTrue(proxy.copies().contains("/src/gateway-proxy/src/main/jvm/jvm.options /app/jvm.options"),
                "the image's JVM flags are the benchmarked jvm.options: " + proxy.copies());
        assertNonRootOnJava21(proxy);
        assertEquals(chartPorts("gateway-proxy", "rest-proxy"), proxy.exposed());
        assertTrue(readme().contains("java @gateway-proxy/src/main/jvm/jvm.options -jar gateway-proxy.jar")
                || readme().contains("scripts/gateway-proxy.sh"), "the README documents how the proxy runs");
    }

    @Test
    void theWorkerImageRunsTheExampleBotAsANonRootUser() throws IOException {
        Dockerfile worker = Dockerfile.read(ROOT.resolve("worker/Dockerfile"));
        assertCopiedFilesExist(worker);
        List<String> entrypoint = worker.entrypoint();
        assertEquals(List.of("-jar", "/app/worker.jar"), entrypoint.subList(entrypoint.size() - 2, entrypoint.size()));
        assertEquals("java", entrypoint.get(0));
        assertNonRootOnJava21(worker);
        assertEquals(chartPorts("worker"), worker.exposed());
        assertTrue(readme().contains("java -jar worker/target/worker.jar"), "the README documents how the worker runs");
    }

    private static void assertCopiedFilesExist(Dockerfile file) throws IOException {
        for (String copy : file.copies()) {
            String source = copy.split(" ", -1)[0];
            assertTrue(source.startsWith("/src/"), "copied from the build stage's checkout: " + copy);
            Path built = ROOT.resolve(source.substring("/src/".length()));
            assertTrue(Files.isRegularFile(built) || isPackagedJar(built),
                    built + " is neither in the checkout nor the jar its module packages");
        }
        assertFalse(file.copies().isEmpty());
    }

    /** Whether {@code jar} is {@code <module>/target/<shade.finalName>.jar} of a module of this build. */
    private static boolean isPackagedJar(Path jar) throws IOException {
        Path target = jar.getParent();
        if (target == null || !target.getFileName().toString().equals("target")) {
            return false;
        }
        Path pom = target.resolveSibling("pom.xml");
        String name = jar.getFileName().toString();
        return name.endsWith(".jar") && Files.isRegularFile(pom) && Files.readString(pom)
                .contains("<shade.finalName>" + name.substring(0, name.length() - ".jar".length()) + "</shade.finalName>");
    }

    private static void assertNonRootOnJava21(Dockerfile file) {
        assertTrue(file.user().matches("[1-9][0-9]*(:[1-9][0-9]*)?"), "USER " + file.user());
        assertEquals(List.of("eclipse-temurin:21-jdk AS build", "eclipse-temurin:21-jre"), file.stages());
    }

    /** The container ports of the chart's containers with these names, as rendered with the defaults. */
    private static Set<Integer> chartPorts(String... containers) {
        Set<Integer> ports = new TreeSet<>();
        Set<String> names = Set.of(containers);
        for (JsonNode doc : Chart.render(Chart.REQUIRED).all()) {
            for (JsonNode c : doc.at("/spec/template/spec/containers")) {
                if (names.contains(c.get("name").asText())) {
                    c.path("ports").forEach(p -> ports.add(p.get("containerPort").asInt()));
                }
            }
        }
        assertFalse(ports.isEmpty(), "no chart container named " + names);
        return ports;
    }

    private static String readme() throws IOException {
        return Files.readString(ROOT.resolve("README.md"));
    }

    /** The instructions of a Dockerfile, continuation lines joined, comments dropped. */
    private record Dockerfile(List<String> instructions) {
        static Dockerfile read(Path path) throws IOException {
            List<String> out = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            for (String line : Files.readAllLines(path)) {
                String t = line.strip();
                if (t.startsWith("#") || t.isEmpty()) {
                    continue;
                }
                if (t.endsWith("\\")) {
                    current.append(t, 0, t.length() - 1).append(' ');
                    continue;
                }
                out.add(current.append(t).toString());
                current.setLength(0);
            }
            return new Dockerfile(out);
        }

        private List<String> args(String instruction) {
            return instructions.stream().filter(i -> i.startsWith(instruction + " "))
                    .map(i -> i.substring(instruction.length() + 1).strip()).toList();
        }

        List<String> stages() {
            return args("FROM");
        }

        /** The runtime stage's copies from the build stage, as "source destination". */
        List<String> copies() {
            return args("COPY").stream().filter(c -> c.startsWith("--from=build "))
                    .map(c -> c.substring("--from=build ".length())).toList();
        }

        String user() {
            List<String> users = args("USER");
            return users.isEmpty() ? "root" : users.getLast();
        }

        Set<Integer> exposed() {
            Set<Integer> ports = new TreeSet<>();
            args("EXPOSE").forEach(e -> List.of(e.split("\\s+")).forEach(p -> ports.add(Integer.parseInt(p))));
            return ports;
        }

        List<String> entrypoint() throws IOException {
            List<String> e = args("ENTRYPOINT");
            assertEquals(1, e.size(), "one ENTRYPOINT");
            List<String> argv = new ArrayList<>();
            new ObjectMapper().readTree(e.getFirst()).forEach(a -> argv.add(a.asText()));
            return argv;
        }
    }
}
