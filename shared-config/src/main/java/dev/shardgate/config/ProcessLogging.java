package dev.shardgate.config;

import java.util.logging.LogManager;

/**
 * Logging set-up shared by every Shardgate process ({@code java.util.logging}, which {@code System.Logger},
 * slf4j-jdk14 and jnats all reach): one line per record, and handlers that stay open while shutdown hooks run.
 * The JDK's own LogManager closes every handler from a shutdown hook of its own, which races the proxy's
 * hand-over and the worker's drain and silently drops exactly the lines an operator reads after a rolling update.
 * The JVM exits right after the hooks, so skipping that reset loses nothing: console handlers flush every record.
 */
public final class ProcessLogging {
    private static final String ONE_LINE = "%1$tFT%1$tT.%1$tLZ %4$s %3$s: %5$s%6$s%n";

    private ProcessLogging() {
    }

    /** Call first in {@code main}, before anything logs; settings given with {@code -D} win. */
    public static void install() {
        // By name: touching a LogManager subclass here would initialise logging before the property is read.
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", ProcessLogging.class.getName() + "$Manager");
        }
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", ONE_LINE);
        }
    }

    /** The manager {@link #install()} selects: ignores the reset asked for once the JVM is shutting down. */
    public static final class Manager extends LogManager {
        public Manager() {
            super();
        }

        @Override
        public void reset() {
            if (!shuttingDown()) {
                super.reset();
            }
        }

        /** The JVM refuses new shutdown hooks once shutdown has begun, which is the only public way to ask. */
        static boolean shuttingDown() {
            Thread probe = new Thread(() -> { });
            try {
                Runtime.getRuntime().addShutdownHook(probe);
                Runtime.getRuntime().removeShutdownHook(probe);
                return false;
            } catch (IllegalStateException e) {
                return true;
            }
        }
    }
}
