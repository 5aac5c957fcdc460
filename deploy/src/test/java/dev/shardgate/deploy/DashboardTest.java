package dev.shardgate.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every series the Grafana dashboard queries is one the code registers: the meters are read off the main sources
 * (Micrometer builders and registry calls) with their type, and named as the Prometheus registry exposes them
 * (dots to underscores, {@code _total} for counters, {@code _seconds} and its {@code _count}, {@code _sum},
 * {@code _max} or quantiles for timers). A renamed meter or a typo in a panel fails here instead of showing an empty
 * graph in production.
 */
class DashboardTest {
    private static final Path DASHBOARD = Chart.SOURCE.resolve("files/dashboard.json");
    private static final List<Path> SOURCES = List.of(Path.of("..", "gateway-proxy", "src", "main", "java"),
            Path.of("..", "worker", "src", "main", "java"));
    private static final Pattern BUILDER = Pattern.compile(
            "\\b(Counter|Gauge|Timer|DistributionSummary|FunctionCounter|TimeGauge)\\.builder\\(\\s*\"(shardgate[a-z_.]+)\"");
    private static final Pattern REGISTRY = Pattern.compile(
            "\\.(counter|gauge|timer|summary)\\(\\s*\"(shardgate[a-z_.]+)\"");
    private static final Pattern SERIES = Pattern.compile("\\bshardgate_[a-z_]+");

    @Test
    void everySeriesTheDashboardQueriesIsRegisteredByTheCode() throws IOException {
        Set<String> exposed = exposedSeries();
        assertTrue(exposed.contains("shardgate_published_events_total"), "the source scan found the meters: " + exposed);
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        Set<String> queried = new TreeSet<>();
        for (String expr : dashboard.findValuesAsText("expr")) {
            Matcher m = SERIES.matcher(expr);
            while (m.find()) {
                queried.add(m.group());
            }
        }
        assertTrue(queried.size() >= 10, "the dashboard queries " + queried);
        Set<String> unknown = new TreeSet<>(queried);
        unknown.removeAll(exposed);
        assertEquals(Set.of(), unknown, "series no meter produces");
    }

    @Test
    void theDashboardHasThePanelsAnOperatorNeeds() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        String titles = String.join(" | ", dashboard.findValuesAsText("title")).toLowerCase(Locale.ROOT);
        for (String panel : List.of("shards by state", "identify budget", "events/s", "publish lag", "consumer lag",
                "rest requests", "429s", "breaker")) {
            assertTrue(titles.contains(panel), "no panel for " + panel + ": " + titles);
        }
    }

    /** The series names the Prometheus registry makes of every meter in the main sources. */
    private static Set<String> exposedSeries() throws IOException {
        Map<String, String> meters = new TreeMap<>();
        for (Path root : SOURCES) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    String code = Files.readString(f);
                    for (Pattern p : List.of(BUILDER, REGISTRY)) {
                        Matcher m = p.matcher(code);
                        while (m.find()) {
                            meters.put(m.group(2).replace('.', '_'), m.group(1).toLowerCase(Locale.ROOT));
                        }
                    }
                }
            }
        }
        Set<String> series = new TreeSet<>();
        meters.forEach((name, type) -> {
            switch (type) {
                case "counter", "functioncounter" -> series.add(name + "_total");
                case "timer" -> {
                    for (String suffix : List.of("", "_count", "_sum", "_max", "_bucket")) {
                        series.add(name + "_seconds" + suffix);
                    }
                }
                case "distributionsummary", "summary" -> {
                    for (String suffix : List.of("", "_count", "_sum", "_max", "_bucket")) {
                        series.add(name + suffix);
                    }
                }
                default -> series.add(name);
            }
        });
        return series;
    }
}
