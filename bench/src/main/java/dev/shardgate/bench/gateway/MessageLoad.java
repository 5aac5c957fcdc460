package dev.shardgate.bench.gateway;

import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.events.EventFactory;
import dev.shardgate.simulator.events.SimEvent;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The event load of the gateway benchmarks: a pool of realistic MESSAGE_CREATE events (the simulator's event
 * factory, 1–40 words of chat, about 700 bytes of {@code d}) spread round-robin over every shard's guilds, built once
 * so that generating them costs nothing during a run. Event {@code i} of a run is {@code pool[i % size]}; the same
 * bodies go through the proxy and through the plain jnats publisher that is the limit to compare with. Immutable.
 */
final class MessageLoad {
    private static final int POOL = 4_096;
    private static final String[] WORDS = {"the", "a", "is", "to", "and", "lol", "ok", "i", "you", "it", "that",
        "for", "on", "with", "this", "was", "game", "server", "anyone", "today", "patch", "raid", "tonight", "gg", "?"};

    private final List<SimEvent> pool;

    MessageLoad(Simulator sim, int shards) {
        EventFactory factory = new EventFactory(Clock.systemUTC());
        SplittableRandom random = new SplittableRandom(8);
        List<SimEvent> events = new ArrayList<>(POOL);
        for (int i = 0; i < POOL; i++) {
            long[] guilds = sim.gateway().guildIds(i % shards);
            events.add(factory.messageCreate(guilds[(i / shards) % guilds.length], chatter(random)));
        }
        this.pool = List.copyOf(events);
    }

    SimEvent event(long index) {
        return pool.get((int) (index % pool.size()));
    }

    /** Hands event {@code index} to the simulator, which sends it on the shard that owns its guild. */
    void emit(Simulator sim, long index) {
        sim.gateway().emit(event(index));
    }

    private static String chatter(SplittableRandom random) {
        StringBuilder sb = new StringBuilder();
        for (int w = 1 + random.nextInt(random.nextInt(4) == 0 ? 40 : 8); w > 0; w--) {
            sb.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
        }
        return sb.toString().strip();
    }
}
