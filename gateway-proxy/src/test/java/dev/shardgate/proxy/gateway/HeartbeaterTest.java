package dev.shardgate.proxy.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Heartbeat decisions on virtual time: beats are driven by hand instead of by the scheduler. */
class HeartbeaterTest {
    private final AtomicLong now = new AtomicLong();
    private final AtomicLong seq = new AtomicLong(-1);
    private final List<String> sent = new ArrayList<>();
    private final AtomicInteger zombies = new AtomicInteger();
    private final List<Duration> latencies = new ArrayList<>();
    private final Heartbeater hb = new Heartbeater(Duration.ofSeconds(41), now::get, seq::get, sent::add,
            zombies::incrementAndGet, latencies::add);

    @Test
    void firstBeatIsJitteredWithinTheInterval() {
        assertEquals(Duration.ZERO, Heartbeater.firstDelay(Duration.ofSeconds(40), 0));
        assertEquals(Duration.ofSeconds(30), Heartbeater.firstDelay(Duration.ofSeconds(40), 0.75));
    }

    @Test
    void beatsCarryTheLastSequenceAndMeasureLatency() {
        hb.beat();
        assertEquals(List.of("{\"op\":1,\"d\":null}"), sent);
        now.addAndGet(42_000_000);
        hb.acknowledge();
        assertEquals(List.of(Duration.ofMillis(42)), latencies);
        assertEquals(42, hb.latencyMillis());
        seq.set(1337);
        hb.beat();
        assertEquals("{\"op\":1,\"d\":1337}", sent.get(1));
        assertEquals(0, zombies.get());
    }

    @Test
    void aMissingAckMakesTheNextBeatDeclareAZombieInsteadOfSending() {
        hb.beat();
        hb.beat();
        assertEquals(1, sent.size());
        assertEquals(1, zombies.get());
    }

    @Test
    void aRequestedBeatIsSentAtOnceAndAckedLikeAnyOther() {
        hb.beatNow();
        assertEquals(1, sent.size());
        hb.acknowledge();
        hb.beat();
        assertEquals(2, sent.size());
        assertEquals(0, zombies.get());
    }
}
