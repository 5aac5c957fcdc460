package dev.shardgate.proxy.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardgate.proxy.fleet.IdentifyBudget;
import dev.shardgate.proxy.gateway.ShardState;
import dev.shardgate.proxy.gateway.ShardStatus;
import dev.shardgate.proxy.publish.PublisherStatus;
import io.nats.client.Connection;
import io.nats.client.api.ServerInfo;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The gateway role's part of {@code /status}: every shard with its rate, counts by state, start-up progress, the
 * identify budget, the publisher's buffer, and NATS with the event stream. Thread-safe: its parts are.
 */
final class GatewaySection {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final GatewayView view;
    private final StreamHealth stream;
    private final EventRates rates = new EventRates();
    private final Clock clock;
    private final LongSupplier ticker;

    GatewaySection(GatewayView view, Clock clock, LongSupplier ticker) {
        this.view = view;
        this.stream = new StreamHealth(view.streamName(), view::nats, clock);
        this.clock = clock;
        this.ticker = ticker;
    }

    ObjectNode json() {
        List<ShardStatus> shards = view.shards();
        Map<Integer, Double> perSecond = rates.update(shards, ticker.getAsLong());
        ObjectNode node = JSON.objectNode().put("running", true).put("shard_count", view.shardCount());
        Map<ShardState, Integer> byState = new EnumMap<>(ShardState.class);
        ArrayNode list = node.putArray("shards");
        double total = 0;
        for (ShardStatus s : shards) {
            byState.merge(s.state(), 1, Integer::sum);
            Double rate = perSecond.get(s.id());
            total += rate == null ? 0 : rate;
            list.add(shard(s, rate));
        }
        ObjectNode states = node.putObject("states");
        byState.forEach((state, count) -> states.put(state.name(), count));
        if (perSecond.isEmpty()) {
            node.putNull("events_per_s");
        } else {
            node.put("events_per_s", round(total));
        }
        node.set("startup", view.startup().toJson());
        node.set("identify_budget", view.identifyBudget().map(this::budget).orElse(null));
        node.set("publisher", view.publisher().map(GatewaySection::publisher).orElse(null));
        node.set("nats", nats());
        return node;
    }

    private static ObjectNode shard(ShardStatus s, Double rate) {
        // The /shards entry, with owner and reason always present (null when unknown: the page tells them apart).
        ObjectNode n = s.toJson()
                .put("owner", s.owner())
                .put("reason", s.reason())
                .put("events", s.events())
                .put("lease_held", s.leaseHeld())
                .put("last_resumed_at", s.lastResumedAt() == null ? null : s.lastResumedAt().toString());
        if (rate == null) {
            n.putNull("events_per_s");
        } else {
            n.put("events_per_s", round(rate));
        }
        return n;
    }

    private ObjectNode budget(IdentifyBudget b) {
        return JSON.objectNode()
                .put("remaining", b.remaining())
                .put("total", b.total())
                .put("reserve", b.reserve())
                .put("reset_at", b.resetAt().toString())
                .put("reset_in_ms", Math.max(0, Duration.between(clock.instant(), b.resetAt()).toMillis()));
    }

    private static ObjectNode publisher(PublisherStatus p) {
        return JSON.objectNode()
                .put("buffered_events", p.events())
                .put("buffered_bytes", p.bytes())
                .put("max_events", p.maxEvents())
                .put("max_bytes", p.maxBytes())
                .put("oldest_age_ms", p.oldestAgeMillis())
                .put("published", p.published())
                .put("retrying", p.retrying());
    }

    private ObjectNode nats() {
        ObjectNode node = JSON.objectNode();
        Optional<Connection> connection = view.nats();
        if (connection.isEmpty()) {
            node.put("status", "NOT_CONNECTED_YET");
        } else {
            Connection c = connection.get();
            node.put("status", c.getStatus().name());
            node.put("url", withoutCredentials(c.getConnectedUrl()));
            ServerInfo info = c.getServerInfo();
            if (info != null) {
                node.put("server", info.getServerName()).put("version", info.getVersion());
            }
        }
        node.set("stream", streamJson());
        return node;
    }

    private ObjectNode streamJson() {
        ObjectNode node = JSON.objectNode().put("name", view.streamName());
        Optional<StreamHealth.Reading> reading = stream.latest();
        if (reading.isEmpty()) {
            return node.put("error", "not read yet");
        }
        StreamHealth.Reading r = reading.get();
        node.put("read_at", r.at().toString())
                .put("age_ms", Math.max(0, Duration.between(r.at(), clock.instant()).toMillis()));
        if (r.error() != null) {
            return node.put("error", r.error());
        }
        node.put("messages", r.messages()).put("bytes", r.bytes()).put("first_seq", r.firstSeq())
                .put("last_seq", r.lastSeq()).put("last_time", r.lastTime() == null ? null : r.lastTime().toString())
                .put("consumer_count", r.consumerCount());
        ArrayNode consumers = node.putArray("consumers");
        r.consumers().forEach(c -> consumers.addObject().put("name", c.name()).put("pending", c.pending())
                .put("ack_pending", c.ackPending()).put("redelivered", c.redelivered()));
        return node;
    }

    /** A NATS URL may carry a user and password: the page shows where, never who. */
    static String withoutCredentials(String url) {
        if (url == null) {
            return null;
        }
        try {
            URI u = URI.create(url);
            return u.getRawUserInfo() == null ? url
                    : new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), null, null).toString();
        } catch (IllegalArgumentException | java.net.URISyntaxException e) {
            return "(unparsable URL)";
        }
    }

    private static double round(double rate) {
        return Math.round(rate * 10) / 10.0;
    }
}
