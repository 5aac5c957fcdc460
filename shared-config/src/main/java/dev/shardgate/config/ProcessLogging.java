package dev.shardgate.config;

import java.util.Locale;
import java.util.logging.LogManager;

/**
 * Logging set-up shared by every Shardgate process ({@code java.util.logging}, which {@code System.Logger},
 * slf4j-jdk14 and jnats all reach): one line per record on standard error, as text or, with
 * {@code LOG_FORMAT=json}, as JSON ({@link TextLogFormatter}, {@link JsonLogFormatter}); and handlers that stay open
 * while shutdown hooks run. The JDK's own LogManager closes every handler from a shutdown hook of its own, which
 * races the proxy's hand-over and the worker's drain and silently drops exactly the lines an operator reads after a
 * rolling update. The JVM exits right after the hooks, so skipping that reset loses nothing: console handlers flush
 * every record.
 *
 * <p>{@code LOG_FORMAT} is read from the environment here, before the process's configuration, so that a
 * configuration error is already logged in the chosen format.
 */
public final class ProcessLogging {
    static final String LOG_FORMAT = "LOG_FORMAT";
    private static final String FORMATTER_KEY = "java.util.logging.ConsoleHandler.formatter";
    /** The console formatter's class, chosen by {@link #install()} before the LogManager reads its settings. */
    private static volatile String formatter = TextLogFormatter.class.getName();

    private ProcessLogging() {
    }

    /**
     * Call first in {@code main}, before anything logs; settings given with {@code -D} (a logging configuration file
     * or another manager) win. A {@code LOG_FORMAT} other than {@code text} or {@code json} ends the process with
     * status 2 and one line naming the setting, as every other configuration error does.
     */
    public static void install() {
        try {
            formatter = formatterFor(System.getenv(LOG_FORMAT));
        } catch (ConfigException e) {
            System.err.println("configuration error: " + e.getMessage());
            System.exit(2);
        }
        // By name: touching a LogManager subclass here would initialise logging before the property is read.
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", ProcessLogging.class.getName() + "$Manager");
        }
    }

    /** The formatter class of a {@code LOG_FORMAT} value (unset or blank: text). */
    static String formatterFor(String logFormat) {
        String value = logFormat == null ? "" : logFormat.strip().toLowerCase(Locale.ROOT);
        return switch (value) {
            case "", "text" -> TextLogFormatter.class.getName();
            case "json" -> JsonLogFormatter.class.getName();
            default -> throw new ConfigException(LOG_FORMAT + " must be text or json, got '" + logFormat + "'");
        };
    }

    /**
     * The manager {@link #install()} selects: gives the console handler the chosen formatter unless a logging
     * configuration was given, and ignores the reset asked for once the JVM is shutting down.
     */
    public static final class Manager extends LogManager {
        public Manager() {
            super();
        }

        @Override
        public String getProperty(String name) {
            if (FORMATTER_KEY.equals(name) && System.getProperty("java.util.logging.config.file") == null
                    && System.getProperty("java.util.logging.config.class") == null) {
                return formatter;
            }
            return super.getProperty(name);
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
