package dev.shardgate.simulator.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class InvalidRequestLimitTest {
    private final InvalidRequestLimit limit = new InvalidRequestLimit(RestSettings.defaults()
            .withInvalidRequestBan(3, Duration.ofMinutes(10), Duration.ofMinutes(60)));

    @Test
    void theRequestThatReachesTheThresholdStartsTheBan() {
        limit.record("10.0.0.1", 0);
        limit.record("10.0.0.1", 1_000);
        assertEquals(0, limit.banRemainingMillis("10.0.0.1", 1_000));
        limit.record("10.0.0.1", 2_000);
        assertEquals(Duration.ofMinutes(60).toMillis(), limit.banRemainingMillis("10.0.0.1", 2_000));
        assertEquals(0, limit.banRemainingMillis("10.0.0.2", 2_000), "bans are per IP");
        assertEquals(0, limit.banRemainingMillis("10.0.0.1", 2_000 + Duration.ofMinutes(60).toMillis()));
    }

    @Test
    void countsSlideOutOfTheWindow() {
        long tenMinutes = Duration.ofMinutes(10).toMillis();
        limit.record("10.0.0.1", 0);
        limit.record("10.0.0.1", 5_000);
        assertEquals(2, limit.count("10.0.0.1", tenMinutes - 1));
        assertEquals(1, limit.count("10.0.0.1", tenMinutes));
        limit.record("10.0.0.1", tenMinutes);
        assertEquals(0, limit.banRemainingMillis("10.0.0.1", tenMinutes), "only two within any ten minutes");
    }
}
