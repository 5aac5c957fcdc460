package dev.shardgate.simulator.events;

import java.lang.System.Logger.Level;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Background traffic: random events for every shard's guilds at a rate per shard. Runs on its own
 * "sim-events" scheduler thread, which builds the payloads and hands them to the gateway without waiting, so a
 * busy generator never delays the gateway loop's heartbeat handling. Rates below one per tick carry over
 * (fractional credit), so 0.5/s gives one event every two seconds. {@link #close()} stops the thread.
 */
public final class EventGenerator implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(EventGenerator.class.getName());
    private static final long TICK_MILLIS = 20;

    private final EventFactory factory;
    private final Consumer<SimEvent> sink;
    private final long[][] guildsByShard;
    private final double[] credit;
    private final ScheduledExecutorService scheduler;
    private volatile double perSecondPerShard;
    private long lastTickNanos = System.nanoTime();
    private long emitted;

    @SuppressWarnings("FutureReturnValueIgnored") // tick() catches and logs its failures; close() ends it
    public EventGenerator(EventFactory factory, Consumer<SimEvent> sink, int shards, int guildsPerShard,
                          double perSecondPerShard) {
        this.factory = factory;
        this.sink = sink;
        this.guildsByShard = new long[shards][];
        for (int s = 0; s < shards; s++) {
            guildsByShard[s] = GuildCatalog.guildIds(s, shards, guildsPerShard);
        }
        this.credit = new double[shards];
        this.perSecondPerShard = perSecondPerShard;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sim-events");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    public double rate() {
        return perSecondPerShard;
    }

    /** Changes the rate per shard; 0 stops the background traffic. */
    public void rate(double perSecondPerShard) {
        if (perSecondPerShard < 0 || Double.isNaN(perSecondPerShard)) {
            throw new IllegalArgumentException("rate must be >= 0: " + perSecondPerShard);
        }
        this.perSecondPerShard = perSecondPerShard;
    }

    private void tick() {
        try {
            long now = System.nanoTime();
            double seconds = (now - lastTickNanos) / 1e9;
            lastTickNanos = now;
            double rate = perSecondPerShard;
            for (int s = 0; s < guildsByShard.length; s++) {
                long[] guilds = guildsByShard[s];
                if (rate == 0 || guilds.length == 0) {
                    credit[s] = 0;
                    continue;
                }
                credit[s] += rate * seconds;
                while (credit[s] >= 1) {
                    credit[s] -= 1;
                    sink.accept(factory.randomEvent(guilds[(int) (emitted++ % guilds.length)]));
                }
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "event generator tick failed", e);
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
