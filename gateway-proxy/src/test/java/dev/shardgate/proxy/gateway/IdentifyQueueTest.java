package dev.shardgate.proxy.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shardgate.proxy.discovery.GatewayBot.SessionStartLimit;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The identify queue's budget refresh and identify records, on a clock the test moves. */
class IdentifyQueueTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final SessionStartLimit PLENTY = new SessionStartLimit(1000, 1000, Duration.ofHours(1), 1);

    private volatile Instant now = T0;
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return now;
        }
    };
    private final AtomicInteger fetches = new AtomicInteger();
    private final List<Integer> granted = new CopyOnWriteArrayList<>();
    private final List<Map.Entry<Integer, Instant>> recorded = new CopyOnWriteArrayList<>();

    private IdentifyQueue queue(SessionStartLimit freshFromDiscord) {
        return new IdentifyQueue(PLENTY, clock, () -> {
            fetches.incrementAndGet();
            return freshFromDiscord;
        }, (bucket, at) -> recorded.add(Map.entry(bucket, at)));
    }

    @Test
    void anIdentifyAfterAnHourReReadsTheBudgetAndWaitsWhenOtherProcessesSpentIt() {
        try (IdentifyQueue q = queue(new SessionStartLimit(1000, 0, Duration.ofMinutes(20), 1))) {
            now = T0.plus(Duration.ofHours(1));
            q.request(0, granted::add);
            await().atMost(Duration.ofSeconds(30)).until(() -> fetches.get() == 1 && q.remaining() == 0);
            // The refreshed budget was applied and drained in one queue task: a grant would be visible by now.
            assertEquals(List.of(), granted);
            assertEquals(List.of(), recorded);
        }
    }

    @Test
    void aFreshBudgetIsUsedWithoutAskingAndEveryGrantIsRecordedWithItsBucket() {
        try (IdentifyQueue q = queue(PLENTY)) {
            q.request(0, granted::add);
            await().atMost(Duration.ofSeconds(30)).until(() -> granted.equals(List.of(0)));
            assertEquals(0, fetches.get(), "a budget read at start is fresh");
            assertEquals(List.of(Map.entry(0, T0)), recorded);
            assertEquals(999, q.remaining());
        }
    }
}
