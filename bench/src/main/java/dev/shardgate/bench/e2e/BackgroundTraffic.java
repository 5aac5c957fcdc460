package dev.shardgate.bench.e2e;

import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.events.EventFactory;
import dev.shardgate.simulator.events.SimEvent;
import java.time.Clock;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Other events at a steady rate over every shard's guilds: chat messages (none a command the example bot
 * answers, so the REST path carries only the pings), typing and reactions, the kinds a bot without privileged
 * intents receives. Unlike the simulator's own generator, whose mix includes {@code !ping} and {@code /ping},
 * this keeps the REST proxy's global limit free for the measured pings. Runs its own thread, {@code background},
 * every 10 ms; {@link #close()} stops it.
 */
final class BackgroundTraffic implements AutoCloseable {
    private static final long TICK_MILLIS = 10;
    private static final String[] CHATTER = {"gg", "anyone up for a raid tonight?", "lol", "patch notes are out",
        "brb", "that was close", "who is streaming today", "ok"};

    private final Simulator sim;
    private final EventFactory events = new EventFactory(Clock.systemUTC());
    private final SplittableRandom random = new SplittableRandom(8);
    private final long[][] guilds;
    private final double perTick;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name("background").unstarted(r));
    private double credit;
    private volatile long emitted;

    @SuppressWarnings("FutureReturnValueIgnored") // close() ends it; a failed tick shows in emitted(), which the bench reports
    BackgroundTraffic(Simulator sim, int shards, double perSecond) {
        this.sim = sim;
        this.guilds = new long[shards][];
        for (int s = 0; s < shards; s++) {
            guilds[s] = sim.gateway().guildIds(s);
        }
        this.perTick = perSecond * TICK_MILLIS / 1000.0;
        thread.scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Events handed to the simulator so far. */
    long emitted() {
        return emitted;
    }

    private void tick() {
        credit += perTick;
        long n = emitted;
        while (credit >= 1) {
            credit -= 1;
            long[] shardGuilds = guilds[(int) (n % guilds.length)];
            sim.gateway().emit(next(shardGuilds[random.nextInt(shardGuilds.length)]));
            n++;
        }
        emitted = n;
    }

    private SimEvent next(long guild) {
        int roll = random.nextInt(10);
        if (roll < 6) {
            return events.messageCreate(guild, CHATTER[random.nextInt(CHATTER.length)]);
        }
        return roll < 8 ? events.typingStart(guild) : events.reactionAdd(guild);
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
