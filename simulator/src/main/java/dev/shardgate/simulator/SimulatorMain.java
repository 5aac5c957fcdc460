package dev.shardgate.simulator;

import dev.shardgate.config.ProcessLogging;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;

/**
 * {@code java -jar simulator.jar}: a simulator configured by {@code SIM_*} environment variables (see
 * docs/simulator.md), running until SIGTERM/SIGINT.
 */
public final class SimulatorMain {
    private SimulatorMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        ProcessLogging.install();
        Simulator sim;
        try {
            sim = configure(System.getenv()).start();
        } catch (IllegalArgumentException e) {
            System.err.println("simulator: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.out.println("simulator: DISCORD_API_URL=" + sim.apiUrl() + " gateway=" + sim.gateway().url()
                + " resume=" + sim.gateway().resumeUrl() + " control=" + sim.controlUrl());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sim.close();
            stopped.countDown();
        }, "sim-shutdown"));
        stopped.await();
    }

    /** Reads the environment into a builder; a malformed value is an error that names the variable. */
    static Simulator.Builder configure(Map<String, String> env) {
        int port = number(env, "SIM_PORT", 8090, Integer::parseInt);
        return Simulator.builder()
                .token(env.getOrDefault("SIM_TOKEN", "sim-token"))
                .shards(number(env, "SIM_SHARDS", 1, Integer::parseInt))
                .maxConcurrency(number(env, "SIM_MAX_CONCURRENCY", 1, Integer::parseInt))
                .sessionStartLimit(number(env, "SIM_SESSION_START_TOTAL", 1000, Integer::parseInt),
                        number(env, "SIM_SESSION_START_REMAINING",
                                number(env, "SIM_SESSION_START_TOTAL", 1000, Integer::parseInt), Integer::parseInt),
                        Duration.ofMillis(number(env, "SIM_SESSION_START_RESET_AFTER_MS", 86_400_000L,
                                Long::parseLong)))
                .heartbeatInterval(Duration.ofMillis(number(env, "SIM_HEARTBEAT_INTERVAL_MS", 41250L, Long::parseLong)))
                .guildsPerShard(number(env, "SIM_GUILDS_PER_SHARD", 3, Integer::parseInt))
                .eventsPerSecondPerShard(number(env, "SIM_EVENTS_PER_SECOND", 0.0, Double::parseDouble))
                .resumeWindow(Duration.ofMillis(number(env, "SIM_RESUME_WINDOW_MS", 180_000L, Long::parseLong)))
                .enabledPrivilegedIntents(number(env, "SIM_PRIVILEGED_INTENTS", 2 | 256 | 32768, Integer::parseInt))
                .zlibSplitAbove(number(env, "SIM_ZLIB_SPLIT_ABOVE", 0, Integer::parseInt))
                .replayCapacity(number(env, "SIM_REPLAY_CAPACITY", 5_000, Integer::parseInt))
                .ledgerCapacity(number(env, "SIM_LEDGER_CAPACITY", 50_000, Integer::parseInt))
                .bindAddress(env.getOrDefault("SIM_BIND", "127.0.0.1"))
                .advertisedHost(env.getOrDefault("SIM_HOST", "127.0.0.1"))
                .ports(port, number(env, "SIM_GATEWAY_PORT", port + 1, Integer::parseInt),
                        number(env, "SIM_RESUME_PORT", port + 2, Integer::parseInt));
    }

    private static <T> T number(Map<String, String> env, String name, T fallback, Function<String, T> parse) {
        String raw = env.get(name);
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        try {
            return parse.apply(raw.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " is not a number: " + raw, e);
        }
    }
}
