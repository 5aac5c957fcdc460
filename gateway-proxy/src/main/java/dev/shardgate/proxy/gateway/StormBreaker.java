package dev.shardgate.proxy.gateway;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * Stops a shard that keeps starting new sessions. Every identify spends the daily session-start budget, and a
 * shard that is sent back to identify again and again (a bug, a misread close code, a broken network path) would
 * drain it until Discord resets the token. After {@code maxIdentifies} identifies within {@code window} the
 * breaker trips and says why; the shard stops instead of identifying once more.
 *
 * <p>Not thread-safe: owned by the shard's thread.
 */
public final class StormBreaker {
    private final int maxIdentifies;
    private final Duration window;
    private final Deque<Instant> identifies = new ArrayDeque<>();

    public StormBreaker(int maxIdentifies, Duration window) {
        this.maxIdentifies = maxIdentifies;
        this.window = window;
    }

    /**
     * Asks for one more identify at {@code now}.
     *
     * @return empty if allowed (and counted), else why the breaker tripped
     */
    public Optional<String> tryIdentify(Instant now) {
        while (!identifies.isEmpty() && !identifies.peekFirst().isAfter(now.minus(window))) {
            identifies.removeFirst();
        }
        if (identifies.size() >= maxIdentifies) {
            return Optional.of("storm breaker: " + identifies.size() + " identifies within " + window.toSeconds()
                    + " s without a lasting session; stopping to protect the session-start budget");
        }
        identifies.addLast(now);
        return Optional.empty();
    }
}
