package dev.shardgate.simulator.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.shardgate.simulator.events.EventGenerator;
import dev.shardgate.simulator.gateway.Fault;
import dev.shardgate.simulator.gateway.IdentifyRecord;
import dev.shardgate.simulator.gateway.ResumeFault;
import dev.shardgate.simulator.gateway.ResumeRecord;
import dev.shardgate.simulator.gateway.SessionView;
import dev.shardgate.simulator.gateway.SimulatedGateway;
import dev.shardgate.simulator.http.HttpJson;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.lang.System.Logger.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The simulator's HTTP control API under {@code /_sim/}, for demos and out-of-process tests: statistics, the
 * identify and resume logs, connections per shard and their peaks, fault injection (per shard and on the resume
 * URL), dispatches, bursts and the generator's rate. Stateless; runs on the
 * HTTP server's virtual threads and calls the gateway's control API, which does the work on its own loop.
 */
public final class ControlApi implements HttpHandler {
    public static final String PREFIX = "/_sim/";
    private static final System.Logger LOG = System.getLogger(ControlApi.class.getName());
    private static final Pattern SHARD_ACTION =
            Pattern.compile("^/_sim/shards/(\\d{1,6})/(faults/([a-z0-9-]+)|dispatch|burst)$");
    private static final Pattern RESUME_URL_FAULT = Pattern.compile("^/_sim/resume-url/fault/([a-z0-9-]+)$");
    /** Room for the largest dispatches tests send, such as a GUILD_CREATE of a few megabytes. */
    private static final int MAX_BODY = 16 << 20;

    private final SimulatedGateway gateway;
    private final EventGenerator generator;
    private final ObjectMapper json = new ObjectMapper();

    public ControlApi(SimulatedGateway gateway, EventGenerator generator) {
        this.gateway = gateway;
        this.generator = generator;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            route(exchange);
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        try {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            Matcher shardAction = SHARD_ACTION.matcher(path);
            Matcher resumeUrlFault = RESUME_URL_FAULT.matcher(path);
            if (path.equals("/_sim/stats") && method.equals("GET")) {
                ok(exchange, stats());
            } else if (path.equals("/_sim/identifies") && method.equals("GET")) {
                ok(exchange, identifies());
            } else if (path.equals("/_sim/resumes") && method.equals("GET")) {
                ok(exchange, resumes());
            } else if (path.equals("/_sim/connections") && method.equals("GET")) {
                ok(exchange, connections());
            } else if (path.equals("/_sim/connections/reset-peaks") && method.equals("POST")) {
                gateway.resetPeakConnections();
                ok(exchange, connections());
            } else if (resumeUrlFault.matches() && method.equals("POST")) {
                String name = resumeUrlFault.group(1);
                gateway.breakResumeUrl(ResumeFault.parse(name)
                        .orElseThrow(() -> new BadRequest("unknown resume URL fault: " + name)));
                ok(exchange, json.createObjectNode().put("resume_url_fault", gateway.resumeUrlFault().pathName())
                        .put("broken_resume_connections", gateway.brokenResumeConnections()));
            } else if (path.equals("/_sim/events") && method.equals("POST")) {
                generator.rate(Double.parseDouble(required(query, "per_second")));
                ok(exchange, json.createObjectNode().put("events_per_second_per_shard", generator.rate()));
            } else if (shardAction.matches() && method.equals("POST")) {
                shardAction(exchange, Integer.parseInt(shardAction.group(1)), shardAction.group(2),
                        shardAction.group(3), query);
            } else if (shardAction.matches() || resumeUrlFault.matches() || knownPath(path)) {
                HttpJson.error(exchange, 405, "Method Not Allowed");
            } else {
                HttpJson.error(exchange, 404, "Not Found");
            }
        } catch (BadRequest | IllegalArgumentException e) {
            HttpJson.send(exchange, 400, json.writeValueAsBytes(
                    json.createObjectNode().put("message", "400: Bad Request").put("code", 0)
                            .put("error", e.getMessage())));
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "control request failed", e);
            HttpJson.error(exchange, 500, "Internal Server Error");
        }
    }

    private static boolean knownPath(String path) {
        return path.equals("/_sim/stats") || path.equals("/_sim/identifies") || path.equals("/_sim/resumes")
                || path.equals("/_sim/events") || path.equals("/_sim/connections")
                || path.equals("/_sim/connections/reset-peaks");
    }

    private void shardAction(HttpExchange exchange, int shard, String action, String faultName,
                             Map<String, String> query) throws IOException {
        ObjectNode out = json.createObjectNode().put("shard", shard);
        if (faultName != null) {
            Fault fault = Fault.parse(faultName).orElseThrow(() -> new BadRequest("unknown fault: " + faultName));
            int n = fault == Fault.CLOSE
                    ? gateway.close(shard, Integer.parseInt(required(query, "code")))
                    : gateway.inject(shard, fault);
            out.put("fault", fault.pathName()).put("affected", n);
        } else if (action.equals("dispatch")) {
            JsonNode body = readBody(exchange);
            JsonNode t = body.get("t");
            JsonNode d = body.get("d");
            if (t == null || !t.isTextual() || t.asText().isEmpty() || d == null) {
                throw new BadRequest("body must be {\"t\": \"EVENT_NAME\", \"d\": {...}}");
            }
            out.put("sessions", gateway.dispatch(shard, t.asText(), json.writeValueAsString(d)));
        } else {
            int count = Integer.parseInt(Optional.ofNullable(query.get("count")).orElse("1"));
            if (count < 1 || count > 100_000) {
                throw new BadRequest("count must be 1..100000");
            }
            out.put("generated", gateway.burst(shard, count));
        }
        ok(exchange, out);
    }

    private ObjectNode stats() {
        ObjectNode out = json.createObjectNode();
        out.put("gateway_url", gateway.url());
        out.put("resume_gateway_url", gateway.resumeUrl());
        out.put("connections", gateway.connectionCount());
        out.put("session_start_remaining", gateway.sessionStartRemaining());
        out.put("token_reset", gateway.tokenReset());
        out.put("identifies", gateway.identifies().size());
        out.put("resumes", gateway.resumes().size());
        out.put("dispatches_sent", gateway.dispatchesSent());
        out.put("events_per_second_per_shard", generator.rate());
        out.put("ledger_dropped", gateway.ledgerDropped());
        out.put("resume_url_fault", gateway.resumeUrlFault().pathName());
        out.put("broken_resume_connections", gateway.brokenResumeConnections());
        ObjectNode transitions = out.putObject("transitions");
        gateway.transitions().forEach(transitions::put);
        ObjectNode closes = out.putObject("closes_sent");
        gateway.closesSent().forEach((code, n) -> closes.put(Integer.toString(code), n));
        ObjectNode received = out.putObject("closes_received");
        gateway.closesReceived().forEach((code, n) -> received.put(Integer.toString(code), n));
        ArrayNode sessions = out.putArray("sessions");
        for (SessionView s : gateway.sessions()) {
            sessions.addObject().put("session_id", s.sessionId()).put("shard", s.shardId())
                    .put("shard_count", s.shardCount()).put("seq", s.seq()).put("state", s.state().name())
                    .put("connected", s.connected());
        }
        return out;
    }

    /** Attributed connections per shard, open now and at most at once since the last reset. */
    private ObjectNode connections() {
        ObjectNode out = json.createObjectNode();
        ObjectNode open = out.putObject("open");
        gateway.openConnections().forEach((shard, n) -> open.put(Integer.toString(shard), n));
        ObjectNode peak = out.putObject("peak");
        gateway.peakConnections().forEach((shard, n) -> peak.put(Integer.toString(shard), n));
        return out;
    }

    private ArrayNode identifies() {
        ArrayNode out = json.createArrayNode();
        for (IdentifyRecord r : gateway.identifies()) {
            out.addObject().put("at", r.at().toString()).put("shard", r.shardId()).put("shard_count", r.shardCount())
                    .put("bucket", r.bucket()).put("outcome", r.outcome().name());
        }
        return out;
    }

    private ArrayNode resumes() {
        ArrayNode out = json.createArrayNode();
        for (ResumeRecord r : gateway.resumes()) {
            out.addObject().put("at", r.at().toString()).put("shard", r.shardId()).put("session_id", r.sessionId())
                    .put("seq", r.seq()).put("endpoint", r.endpoint().name()).put("outcome", r.outcome().name())
                    .put("replayed", r.replayed());
        }
        return out;
    }

    private JsonNode readBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_BODY + 1);
            if (body.length > MAX_BODY) {
                throw new BadRequest("body over " + MAX_BODY + " bytes");
            }
            try {
                return json.readTree(body);
            } catch (IOException e) {
                throw new BadRequest("body is not JSON: " + e.getMessage());
            }
        }
    }

    private void ok(HttpExchange exchange, JsonNode body) throws IOException {
        HttpJson.send(exchange, 200, json.writeValueAsBytes(body));
    }

    private static String required(Map<String, String> query, String name) {
        String v = query.get(name);
        if (v == null) {
            throw new BadRequest("query parameter " + name + " is required");
        }
        return v;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&", -1)) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }

    /** A request the control API cannot act on; answered 400 with the reason. */
    private static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message);
        }
    }
}
