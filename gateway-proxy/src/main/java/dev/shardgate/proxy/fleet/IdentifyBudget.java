package dev.shardgate.proxy.fleet;

import java.time.Instant;

/**
 * The bot's session-start budget as this instance last saw it, for the status page.
 *
 * @param remaining session starts left for the whole bot (every instance spends from it)
 * @param total the budget per reset period (Discord's {@code session_start_limit.total})
 * @param resetAt when Discord refills it, on the wall clock of the instance that read it
 * @param reserve what identifies never spend ({@code IDENTIFY_RESERVE})
 */
public record IdentifyBudget(int remaining, int total, Instant resetAt, int reserve) {
}
