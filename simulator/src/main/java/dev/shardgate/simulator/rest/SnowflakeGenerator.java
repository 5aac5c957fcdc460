package dev.shardgate.simulator.rest;

import dev.shardgate.protocol.Snowflake;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;

/** Fresh, unique, increasing snowflakes whose timestamp is the clock's now, as Discord creates ids. Thread-safe. */
final class SnowflakeGenerator {
    private final Clock clock;
    private final AtomicLong last = new AtomicLong();

    SnowflakeGenerator(Clock clock) {
        this.clock = clock;
    }

    long next() {
        long fromClock = Snowflake.fromTimestampMillis(clock.millis());
        return last.updateAndGet(previous -> Math.max(previous + 1, fromClock));
    }
}
