package dev.shardgate.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * helm/shardgate rendered and linted by helm's own library (helm-java), from a copy of the chart in a temporary
 * directory. The copy differs in one line: the declaration of the official NATS chart as a dependency is dropped,
 * because that chart cannot be downloaded here and helm refuses to render a chart whose declared dependency is
 * missing, even a disabled one. Everything else is the chart as shipped.
 */
final class Chart {
    static final Path SOURCE = Path.of("..", "helm", "shardgate").toAbsolutePath().normalize();
    static final String RELEASE = "bot";
    /** What every render needs: an existing token Secret and a NATS to use. */
    static final Map<String, Object> REQUIRED = Map.of("discord.tokenSecret.name", "bot-token",
            "nats.externalUrl", "nats://nats.messaging:4222");
    private static final ObjectMapper YAML = new YAMLMapper();

    private Chart() {
    }

    /** The rendered manifests for these values ({@code --set} keys), parsed. */
    static Manifests render(Map<String, Object> values) {
        Path copy = copy(null);
        try {
            var template = new Helm(copy).template().withName(RELEASE).withNamespace("discord");
            values.forEach(template::set);
            return Manifests.parse(template.call());
        } finally {
            delete(copy);
        }
    }

    /** The render's error message (helm's {@code fail} or a schema violation); fails if the render succeeds. */
    static String renderError(Map<String, Object> values) {
        try {
            Manifests m = render(values);
            throw new AssertionError("rendered although it should not have: " + m.all().size() + " manifests");
        } catch (IllegalStateException e) {
            return e.getMessage();
        }
    }

    /** {@code helm lint --strict} of the chart with these values (keys as for {@code --set}) in its values.yaml. */
    static LintResult lint(Map<String, Object> values) {
        Path copy = copy(values);
        try {
            return new Helm(copy).lint().strict().call();
        } finally {
            delete(copy);
        }
    }

    /** A copy of the chart; {@code values} (if given) are written into its values.yaml. */
    private static Path copy(Map<String, Object> values) {
        try {
            Path dir = Files.createTempDirectory("shardgate-chart").resolve("shardgate");
            try (Stream<Path> files = Files.walk(SOURCE)) {
                for (Path f : files.toList()) {
                    Path target = dir.resolve(SOURCE.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(f, target);
                    }
                }
            }
            ObjectNode chart = (ObjectNode) YAML.readTree(dir.resolve("Chart.yaml").toFile());
            chart.remove("dependencies");
            YAML.writeValue(dir.resolve("Chart.yaml").toFile(), chart);
            if (values != null) {
                ObjectNode merged = (ObjectNode) YAML.readTree(dir.resolve("values.yaml").toFile());
                values.forEach((key, value) -> set(merged, key, value));
                YAML.writeValue(dir.resolve("values.yaml").toFile(), merged);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void set(ObjectNode root, String dottedKey, Object value) {
        String[] path = dottedKey.split("\\.", -1);
        ObjectNode node = root;
        for (int i = 0; i < path.length - 1; i++) {
            node = node.has(path[i]) ? (ObjectNode) node.get(path[i]) : node.putObject(path[i]);
        }
        node.set(path[path.length - 1], YAML.valueToTree(value));
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir.getParent())) {
            files.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Map<String, Object> with(Map<String, Object> values, Object... more) {
        Map<String, Object> merged = new LinkedHashMap<>(values);
        for (int i = 0; i < more.length; i += 2) {
            merged.put((String) more[i], more[i + 1]);
        }
        return merged;
    }

    /** The documents of one render. */
    record Manifests(List<JsonNode> all) {
        static Manifests parse(String yaml) {
            List<JsonNode> docs = new ArrayList<>();
            try (var parser = new YAMLFactory().createParser(yaml)) {
                var it = YAML.readValues(parser, JsonNode.class);
                while (it.hasNext()) {
                    JsonNode doc = it.next();
                    if (doc != null && !doc.isNull() && doc.size() > 0) {
                        docs.add(doc);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("the render is not YAML:\n" + yaml, e);
            }
            return new Manifests(docs);
        }

        List<JsonNode> ofKind(String kind) {
            return all.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
        }

        JsonNode get(String kind, String name) {
            return ofKind(kind).stream().filter(d -> name.equals(d.path("metadata").path("name").asText()))
                    .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in "
                            + all.stream().map(d -> d.path("kind").asText() + "/" + d.path("metadata").path("name")
                            .asText()).toList()));
        }
    }

    /** A container's env as name → the entry (value or valueFrom). */
    static Map<String, JsonNode> env(JsonNode workload) {
        Map<String, JsonNode> env = new LinkedHashMap<>();
        workload.path("spec").path("template").path("spec").path("containers").get(0).path("env")
                .forEach(e -> env.put(e.get("name").asText(), e));
        return env;
    }

    static JsonNode container(JsonNode workload) {
        return workload.path("spec").path("template").path("spec").path("containers").get(0);
    }
}
