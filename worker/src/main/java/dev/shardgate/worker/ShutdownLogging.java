package dev.shardgate.worker;

import java.util.logging.LogManager;

/**
 * Keeps java.util.logging's handlers through JVM shutdown. The JDK's own shutdown hook resets logging while
 * other hooks still run, so without this the drain after a SIGTERM (timeouts, events left to redeliver) would
 * log nothing. Call {@link #install()} before anything logs, e.g. in a main class's first static initialiser.
 */
public final class ShutdownLogging {
    private ShutdownLogging() {
    }

    /** Selects {@link Manager} unless a manager was chosen already; has no effect once logging is initialised. */
    public static void install() {
        // by name: initialising a LogManager subclass here would initialise LogManager before the property is set
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", "dev.shardgate.worker.ShutdownLogging$Manager");
        }
    }

    /** The manager: ignores the reset that the JDK's shutdown hook ("Logging-Cleaner") asks for. */
    public static final class Manager extends LogManager {
        private static final String CLEANER = LogManager.class.getName() + "$Cleaner";

        public Manager() {
            super();
        }

        @Override
        public void reset() {
            if (Thread.currentThread().getClass().getName().equals(CLEANER)) {
                return; // the process is ending; handlers flush as they write
            }
            super.reset();
        }
    }
}
