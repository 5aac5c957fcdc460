package dev.shardgate.proxy.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The buffer's bounds and the per-shard bookkeeping behind safeSeq, without NATS. */
class PublishBufferTest {
    private static final byte[] TEN = new byte[10];

    @Test
    void safeSeqStopsBeforeTheLowestUnsettledSequenceOfThatSessionWhateverOrderTheyAreSettledIn() {
        PublishBuffer buffer = new PublishBuffer(100, 1 << 20);
        List<BufferedEvent> a = new ArrayList<>();
        for (long seq = 1; seq <= 5; seq++) {
            a.add(buffer.admit(0, "a", seq, "T", TEN, 0));
        }
        assertEquals(0, buffer.safeSeq(0, "a", 5));
        buffer.settle(a.get(1));
        buffer.settle(a.get(3));
        assertEquals(0, buffer.safeSeq(0, "a", 5), "seq 1 is still unsettled");
        buffer.settle(a.get(0));
        assertEquals(2, buffer.safeSeq(0, "a", 5), "seq 3 is the lowest unsettled");
        buffer.settle(a.get(2));
        assertEquals(4, buffer.safeSeq(0, "a", 5));
        buffer.settle(a.get(4));
        assertEquals(5, buffer.safeSeq(0, "a", 5));
        assertEquals(3, buffer.safeSeq(0, "a", 3), "never above the shard's own last sequence");
    }

    @Test
    void sessionsAndShardsAreKeptApartAndASequenceOfferedTwiceIsSettledOnlyWhenBothAre() {
        PublishBuffer buffer = new PublishBuffer(100, 1 << 20);
        BufferedEvent oldSession = buffer.admit(0, "old", 90, "T", TEN, 0);
        BufferedEvent first = buffer.admit(0, "new", 1, "T", TEN, 0);
        BufferedEvent again = buffer.admit(0, "new", 1, "T", TEN, 0);
        buffer.admit(1, "new", 1, "T", TEN, 0);
        assertEquals(89, buffer.safeSeq(0, "old", 95));
        assertEquals(0, buffer.safeSeq(0, "new", 7));
        buffer.settle(first);
        assertEquals(0, buffer.safeSeq(0, "new", 7), "the second copy of seq 1 is unsettled");
        buffer.settle(first);
        assertEquals(0, buffer.safeSeq(0, "new", 7), "settling the same event twice changes nothing");
        buffer.settle(again);
        assertEquals(7, buffer.safeSeq(0, "new", 7));
        assertEquals(0, buffer.safeSeq(1, "new", 7), "shard 1 has its own");
        assertEquals(12, buffer.safeSeq(2, "new", 12), "a shard never seen has nothing unsettled");
        buffer.settle(oldSession);
        assertEquals(95, buffer.safeSeq(0, "old", 95));
        assertEquals(1, buffer.events());
        assertEquals(10, buffer.bytes());
    }

    @Test
    void eitherBoundRefusesAndRoomMeansBothAtMostHalf() {
        PublishBuffer byEvents = new PublishBuffer(2, 1 << 20);
        assertNotNull(byEvents.admit(0, "s", 1, "T", TEN, 0));
        assertNotNull(byEvents.admit(0, "s", 2, "T", TEN, 0));
        assertNull(byEvents.admit(0, "s", 3, "T", TEN, 0));

        PublishBuffer byBytes = new PublishBuffer(100, 100);
        BufferedEvent big = byBytes.admit(0, "s", 1, "T", new byte[60], 0);
        assertFalse(byBytes.hasRoom(), "1 of 100 events but 60 of 100 bytes: not at most half");
        assertNotNull(byBytes.admit(0, "s", 2, "T", new byte[60], 0), "the bound is not reached at 60 bytes");
        assertNull(byBytes.admit(0, "s", 3, "T", TEN, 0), "120 bytes: reached");
        byBytes.settle(big);
        assertFalse(byBytes.hasRoom());
        assertNotNull(byBytes.admit(0, "s", 3, "T", TEN, 0));

        PublishBuffer tiny = new PublishBuffer(100, 100);
        assertNotNull(tiny.admit(0, "s", 1, "T", new byte[500], 0),
                "an event larger than the whole bound is taken by an empty buffer, or it could never be");
        assertTrue(new PublishBuffer(100, 100).hasRoom());
    }

    @Test
    void theOldestUnsettledEventIsKnown() {
        PublishBuffer buffer = new PublishBuffer(100, 1 << 20);
        assertEquals(OptionalLong.empty(), buffer.oldestOfferedAtMillis());
        BufferedEvent first = buffer.admit(0, "s", 1, "T", TEN, 1_000);
        buffer.admit(1, "s", 1, "T", TEN, 2_000);
        assertEquals(OptionalLong.of(1_000), buffer.oldestOfferedAtMillis());
        buffer.settle(first);
        assertEquals(OptionalLong.of(2_000), buffer.oldestOfferedAtMillis());
    }
}
