package dev.shardgate.proxy.gateway;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SilenceWatchdogTest {
    private static final long MS = 1_000_000L;

    @Test
    void aBusyShardThatGoesQuietIsCalledSilentAfterFiftyGapsAndTheMinimum() {
        SilenceWatchdog w = new SilenceWatchdog(Duration.ofSeconds(2));
        w.reset(0);
        long t = 0;
        for (int i = 0; i < 100; i++) {
            t += 10 * MS;
            w.dispatched(t);
        }
        assertTrue(w.silentFor(t + 1_999 * MS).isEmpty(), "the minimum silence holds");
        String why = w.silentFor(t + 2_001 * MS).orElseThrow();
        assertTrue(why.contains("averaged one every 10 ms"), why);
    }

    @Test
    void aSparseShardGetsFiftyOfItsOwnGaps() {
        SilenceWatchdog w = new SilenceWatchdog(Duration.ofSeconds(1));
        w.reset(0);
        long t = 0;
        for (int i = 0; i < 30; i++) {
            t += 1_000 * MS;
            w.dispatched(t);
        }
        assertTrue(w.silentFor(t + 49_000 * MS).isEmpty());
        assertTrue(w.silentFor(t + 51_000 * MS).isPresent());
    }

    @Test
    void aShardWithTooLittleTrafficIsNeverCalledSilent() {
        SilenceWatchdog w = new SilenceWatchdog(Duration.ofSeconds(1));
        w.reset(0);
        for (int i = 1; i < SilenceWatchdog.MIN_DISPATCHES; i++) {
            w.dispatched(i * MS);
        }
        assertTrue(w.silentFor(Duration.ofHours(1).toNanos()).isEmpty());
    }
}
