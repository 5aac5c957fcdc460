package dev.shardgate.proxy.admin;

import dev.shardgate.proxy.fleet.IdentifyBudget;
import dev.shardgate.proxy.gateway.ShardState;
import dev.shardgate.proxy.gateway.ShardStatus;
import dev.shardgate.proxy.gateway.StartupProgress;
import dev.shardgate.proxy.publish.PublisherStatus;
import io.nats.client.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * A gateway role without Discord or NATS, for the admin HTTP's tests: any number of shards whose state and event
 * counts the test sets; two instances share them (even shards here, odd ones at {@code pod-b}).
 */
public final class FakeGateway implements GatewayView {
    public static final String INSTANCE = "pod-a";
    private final int count;
    private final ConcurrentMap<Integer, ShardState> states = new ConcurrentHashMap<>();
    private final ConcurrentMap<Integer, Long> events = new ConcurrentHashMap<>();

    public FakeGateway(int count) {
        this.count = count;
        for (int id = 0; id < count; id++) {
            states.put(id, id % 2 == 0 ? ShardState.READY : ShardState.AWAITING_LEASE);
        }
    }

    public void state(int shard, ShardState state) {
        states.put(shard, state);
    }

    public void events(int shard, long total) {
        events.put(shard, total);
    }

    @Override
    public List<ShardStatus> shards() {
        List<ShardStatus> out = new ArrayList<>();
        for (int id = 0; id < count; id++) {
            boolean mine = id % 2 == 0;
            long n = events.getOrDefault(id, 0L);
            out.add(new ShardStatus(id, states.get(id), n, mine ? 41 : -1, 1, 0, null, mine ? INSTANCE : "pod-b",
                    mine, n, null));
        }
        return out;
    }

    @Override
    public int shardCount() {
        return count;
    }

    @Override
    public StartupProgress.Snapshot startup() {
        int ready = (int) shards().stream().filter(ShardStatus::isServed).count();
        return new StartupProgress.Snapshot(Instant.now(), ready, count, null, 0, Duration.ofMillis(5055),
                Duration.ZERO, Duration.ofSeconds(42), ready == count);
    }

    @Override
    public Optional<IdentifyBudget> identifyBudget() {
        return Optional.of(new IdentifyBudget(990, 1000, Instant.now().plus(Duration.ofHours(3)), 10));
    }

    @Override
    public Optional<PublisherStatus> publisher() {
        return Optional.of(new PublisherStatus(3, 2048, 20_000, 128 << 20, 12, 123_456, false));
    }

    @Override
    public Optional<Connection> nats() {
        return Optional.empty();
    }

    @Override
    public String streamName() {
        return "DISCORD_EVENTS";
    }
}
