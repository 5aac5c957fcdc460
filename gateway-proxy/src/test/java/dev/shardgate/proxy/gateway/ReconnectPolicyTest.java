package dev.shardgate.proxy.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReconnectPolicyTest {
    @Test
    void firstReconnectIsQuickThenBacksOffExponentiallyWithJitterUpToTheCap() {
        ReconnectPolicy policy = new ReconnectPolicy(new SplittableRandom(7));
        assertTrue(policy.nextDelay().compareTo(ReconnectPolicy.FIRST) < 0);
        long previousCeiling = 0;
        for (int attempt = 1; attempt < 12; attempt++) {
            long ceiling = Math.min(ReconnectPolicy.CAP.toMillis(), 1000L << (attempt - 1));
            long delay = policy.nextDelay().toMillis();
            assertTrue(delay >= ceiling / 2 && delay <= ceiling, "attempt " + attempt + ": " + delay);
            assertTrue(ceiling >= previousCeiling);
            previousCeiling = ceiling;
        }
        policy.reset();
        assertTrue(policy.nextDelay().compareTo(ReconnectPolicy.FIRST) < 0);
        assertEquals(1, policy.attempts());
    }

    @Test
    void jitterSpreadsShardsApart() {
        ReconnectPolicy a = new ReconnectPolicy(new SplittableRandom(1));
        ReconnectPolicy b = new ReconnectPolicy(new SplittableRandom(2));
        a.nextDelay();
        b.nextDelay();
        Duration da = a.nextDelay();
        Duration db = b.nextDelay();
        assertTrue(!da.equals(db));
    }
}
