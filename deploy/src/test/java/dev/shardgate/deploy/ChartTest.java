package dev.shardgate.deploy;

import static dev.shardgate.deploy.Chart.REQUIRED;
import static dev.shardgate.deploy.Chart.container;
import static dev.shardgate.deploy.Chart.env;
import static dev.shardgate.deploy.Chart.with;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.LintResult;
import dev.shardgate.config.ConfigSource;
import dev.shardgate.proxy.config.ProxyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The chart rendered with several value sets: what each manifest says, and what stops a render. */
class ChartTest {
    private static final String GATEWAY = "bot-shardgate-gateway";
    private static final String REST = "bot-shardgate-rest";
    private static final String WORKER = "bot-shardgate-worker";

    @Test
    void theDefaultsInstallTheProductionLayout() {
        Chart.Manifests m = Chart.render(REQUIRED);

        JsonNode gateway = m.get("StatefulSet", GATEWAY);
        assertEquals(1, gateway.at("/spec/replicas").asInt());
        assertEquals("OrderedReady", gateway.at("/spec/podManagementPolicy").asText());
        assertEquals("RollingUpdate", gateway.at("/spec/updateStrategy/type").asText());
        assertEquals(GATEWAY, gateway.at("/spec/serviceName").asText());
        assertEquals(60, gateway.at("/spec/template/spec/terminationGracePeriodSeconds").asInt());
        Map<String, JsonNode> env = env(gateway);
        assertEquals("gateway", env.get("ROLES").get("value").asText());
        assertEquals("16", env.get("SHARD_COUNT").get("value").asText());
        assertEquals("16", env.get("SHARDS_PER_POD").get("value").asText());
        assertEquals("nats://nats.messaging:4222", env.get("NATS_URL").get("value").asText());
        assertEquals("metadata.labels['apps.kubernetes.io/pod-index']",
                env.get("POD_INDEX").at("/valueFrom/fieldRef/fieldPath").asText());
        assertEquals("metadata.name", env.get("INSTANCE_ID").at("/valueFrom/fieldRef/fieldPath").asText());
        assertEquals("bot-token", env.get("DISCORD_TOKEN").at("/valueFrom/secretKeyRef/name").asText());
        assertFalse(env.get("DISCORD_TOKEN").has("value"), "the token is never a literal");
        JsonNode proxy = container(gateway);
        assertEquals("/healthz", proxy.at("/livenessProbe/httpGet/path").asText());
        assertEquals("/healthz", proxy.at("/startupProbe/httpGet/path").asText());
        assertEquals("/readyz", proxy.at("/readinessProbe/httpGet/path").asText());
        assertEquals("ghcr.io/shardgate/gateway-proxy:0.1.0", proxy.get("image").asText());
        assertHardened(gateway);
        assertEquals(1, m.get("PodDisruptionBudget", GATEWAY).at("/spec/maxUnavailable").asInt());
        assertEquals("None", m.get("Service", GATEWAY).at("/spec/clusterIP").asText());

        JsonNode rest = m.get("Deployment", REST);
        Map<String, JsonNode> restEnv = env(rest);
        assertEquals("rest", restEnv.get("ROLES").get("value").asText());
        assertEquals("true", restEnv.get("REST_SHARE_LIMITS").get("value").asText());
        assertEquals("2", restEnv.get("REST_REPLICAS").get("value").asText(), "the replica count, not one more");
        assertEquals(0, rest.at("/spec/strategy/rollingUpdate/maxSurge").asInt(), "never more pods than REST_REPLICAS");
        assertEquals("/readyz", container(rest).at("/readinessProbe/httpGet/path").asText());
        assertHardened(rest);
        assertEquals("512Mi", rest.at("/spec/template/spec/volumes/0/emptyDir/sizeLimit").asText(),
                "room for REST_QUEUE_MAX_MB (256) of spooled bodies");
        assertEquals(8081, m.get("Service", REST).at("/spec/ports/0/port").asInt());

        JsonNode policy = m.get("NetworkPolicy", REST);
        assertEquals("rest", policy.at("/spec/podSelector/matchLabels/app.kubernetes.io~1component").asText());
        JsonNode fromWorkers = policy.at("/spec/ingress/0");
        assertEquals("worker", fromWorkers.at("/from/0/podSelector/matchLabels/app.kubernetes.io~1component").asText());
        assertEquals("bot", fromWorkers.at("/from/0/podSelector/matchLabels/app.kubernetes.io~1instance").asText());
        assertEquals("rest", fromWorkers.at("/ports/0/port").asText());
        assertEquals("admin", policy.at("/spec/ingress/1/ports/0/port").asText());

        JsonNode worker = m.get("Deployment", WORKER);
        assertTrue(worker.at("/spec/replicas").isMissingNode(), "the autoscaler sets the replicas");
        assertEquals("http://bot-shardgate-rest:8081/api/v10", env(worker).get("REST_PROXY_URL").get("value").asText());
        assertEquals(40, worker.at("/spec/template/spec/terminationGracePeriodSeconds").asInt());
        assertFalse(env(worker).containsKey("DISCORD_TOKEN"), "workers need no token");
        assertHardened(worker);
        JsonNode hpa = m.get("HorizontalPodAutoscaler", WORKER);
        assertEquals(WORKER, hpa.at("/spec/scaleTargetRef/name").asText());
        assertEquals(List.of("Resource"), types(hpa));
        assertEquals(1, m.get("PodDisruptionBudget", WORKER).at("/spec/maxUnavailable").asInt());

        assertTrue(m.ofKind("ServiceMonitor").isEmpty());
        assertEquals("1", m.get("ConfigMap", "bot-shardgate-dashboard").at("/metadata/labels/grafana_dashboard")
                .asText());
    }

    @Test
    void podsSplitTheShardsByOrdinalAndTheProxyReadsItsRangeFromWhatThePodGets() {
        Chart.Manifests m = Chart.render(with(REQUIRED, "gateway.totalShards", 2500, "gateway.shardsPerPod", 1000));
        JsonNode gateway = m.get("StatefulSet", GATEWAY);
        assertEquals(3, gateway.at("/spec/replicas").asInt());
        // The third pod's environment as Kubernetes fills it in, read by the proxy's own configuration.
        Map<String, String> pod2 = new HashMap<>();
        env(gateway).forEach((name, e) -> pod2.put(name, e.has("value") ? e.get("value").asText() : ""));
        pod2.put("DISCORD_TOKEN", "Bot from-the-secret");
        pod2.put("POD_INDEX", "2");
        pod2.put("INSTANCE_ID", GATEWAY + "-2");
        assertEquals("2000-2499", ProxyConfig.from(ConfigSource.of(pod2)).shardIds());
        // A cluster older than the pod-index label leaves it empty: the host name's ordinal decides.
        pod2.put("POD_INDEX", "");
        pod2.put("HOSTNAME", GATEWAY + "-1");
        assertEquals("1000-1999", ProxyConfig.from(ConfigSource.of(pod2)).shardIds());
    }

    @Test
    void autoscalingOffFixesTheWorkersAndTheLagMetricAddsAnExternalMetric() {
        JsonNode fixed = Chart.render(with(REQUIRED, "worker.autoscaling.enabled", false, "worker.replicas", 5))
                .get("Deployment", WORKER);
        assertEquals(5, fixed.at("/spec/replicas").asInt());
        assertTrue(Chart.render(with(REQUIRED, "worker.autoscaling.enabled", false))
                .ofKind("HorizontalPodAutoscaler").isEmpty());

        JsonNode hpa = Chart.render(with(REQUIRED, "worker.autoscaling.lagMetric.enabled", true))
                .get("HorizontalPodAutoscaler", WORKER);
        assertEquals(List.of("Resource", "External"), types(hpa), "one backlog for all workers: not a per-pod average");
        assertEquals("shardgate_worker_consumer_pending", hpa.at("/spec/metrics/1/external/metric/name").asText());
        assertEquals("1000", hpa.at("/spec/metrics/1/external/target/averageValue").asText());
    }

    @Test
    void theServiceMonitorScrapesEveryComponentsMetricsPort() {
        Chart.Manifests m = Chart.render(with(REQUIRED, "metrics.serviceMonitor.enabled", true));
        JsonNode monitor = m.get("ServiceMonitor", "bot-shardgate");
        List<String> ports = monitor.at("/spec/endpoints").findValuesAsText("port");
        assertEquals(List.of("admin", "metrics"), ports);
        for (String service : List.of(GATEWAY, REST, WORKER)) {
            JsonNode s = m.get("Service", service);
            assertTrue(s.at("/spec/ports").findValuesAsText("name").stream().anyMatch(ports::contains),
                    service + " has no port the monitor scrapes");
            assertEquals("bot", s.at("/metadata/labels/app.kubernetes.io~1instance").asText());
        }
    }

    @Test
    void contradictoryOrMissingSettingsStopTheRenderWithAMessage() {
        assertTrue(Chart.renderError(Map.of("nats.externalUrl", "nats://n:4222"))
                .contains("discord.tokenSecret.name is required"));
        assertTrue(Chart.renderError(with(REQUIRED, "gateway.totalShards", 8, "gateway.shardsPerPod", 16))
                .contains("gateway.shardsPerPod (16) is more than gateway.totalShards (8)"));
        String zero = Chart.renderError(with(REQUIRED, "gateway.shardsPerPod", 0));
        assertTrue(zero.contains("shardsPerPod"), zero);
        assertTrue(Chart.renderError(Map.of("discord.tokenSecret.name", "t")).contains("NATS is needed"));
        assertTrue(Chart.renderError(with(REQUIRED, "nats.enabled", true)).contains("not both"));
        String format = Chart.renderError(with(REQUIRED, "logFormat", "xml"));
        assertTrue(format.contains("logFormat"), format);
    }

    @Test
    void theChartLintsCleanStrictly() {
        LintResult lint = Chart.lint(REQUIRED);
        assertFalse(lint.isFailed(), String.join("\n", lint.getMessages()));
        // helm's linter checks the chart's structure and schema; the render tests above check what fails to render.
        assertTrue(lint.getMessages().stream().noneMatch(msg -> msg.contains("[ERROR]") || msg.contains("[WARNING]")),
                String.join("\n", lint.getMessages()));
    }

    @Test
    void theChartDeclaresTheOfficialNatsChartAsAnOptionalDependency() throws IOException {
        JsonNode chart = new YAMLMapper().readTree(Files.readString(Chart.SOURCE.resolve("Chart.yaml")));
        JsonNode nats = chart.at("/dependencies/0");
        assertEquals("nats", nats.get("name").asText());
        assertEquals("https://nats-io.github.io/k8s/helm/charts/", nats.get("repository").asText());
        assertEquals("nats.enabled", nats.get("condition").asText());
        JsonNode values = new YAMLMapper().readTree(Files.readString(Chart.SOURCE.resolve("values.yaml")));
        assertTrue(values.at("/nats/config/jetstream/enabled").asBoolean());
        assertTrue(values.at("/nats/config/merge/max_payload").asLong() >= 1 << 20, "room for a big GUILD_CREATE");
    }

    /** Non-root, read-only root filesystem with a writable /tmp, nothing escalates. */
    private static void assertHardened(JsonNode workload) {
        JsonNode pod = workload.at("/spec/template/spec");
        assertTrue(pod.at("/securityContext/runAsNonRoot").asBoolean());
        assertTrue(pod.at("/securityContext/runAsUser").asInt() > 0);
        assertEquals("RuntimeDefault", pod.at("/securityContext/seccompProfile/type").asText());
        JsonNode c = container(workload);
        assertTrue(c.at("/securityContext/readOnlyRootFilesystem").asBoolean());
        assertFalse(c.at("/securityContext/allowPrivilegeEscalation").asBoolean(true));
        assertEquals("ALL", c.at("/securityContext/capabilities/drop/0").asText());
        assertEquals("/tmp", c.at("/volumeMounts/0/mountPath").asText());
        assertTrue(c.at("/resources/requests/memory").isTextual(), "memory request");
        assertTrue(c.at("/resources/limits/memory").isTextual(), "memory limit");
    }

    /** The kinds of metric the autoscaler scales on ({@code Resource}, {@code Pods}, ...), in order. */
    private static List<String> types(JsonNode hpa) {
        List<String> types = new ArrayList<>();
        hpa.at("/spec/metrics").forEach(m -> types.add(m.path("type").asText()));
        return types;
    }

}
