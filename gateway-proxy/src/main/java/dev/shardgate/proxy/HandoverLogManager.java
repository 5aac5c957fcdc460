package dev.shardgate.proxy;

import java.util.logging.LogManager;

/**
 * Keeps {@code java.util.logging}'s handlers open while shutdown hooks run. The JDK's own {@link LogManager}
 * closes every handler from a shutdown hook of its own, which races {@link ProxyMain}'s hand-over hook and
 * silently drops its lines (sessions handed over, events left unacknowledged): exactly what an operator needs
 * to read after a rolling update. The JVM exits right after the hooks, so skipping that reset loses nothing;
 * console handlers flush every record. Installed by {@link ProxyMain} through {@code java.util.logging.manager}.
 */
public final class HandoverLogManager extends LogManager {
    public HandoverLogManager() {
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
