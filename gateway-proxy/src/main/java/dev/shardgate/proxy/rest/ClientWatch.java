package dev.shardgate.proxy.rest;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Notices clients that hang up while their request waits in the limiter. The JDK's HTTP server does not watch a
 * connection while its exchange is being handled, so this reads the kernel's TCP table ({@code /proc/net/tcp},
 * {@code tcp6}): a connection that is no longer ESTABLISHED has been closed by the client. It runs one daemon
 * thread, {@code rest-client-watch}, that looks every {@value #PERIOD_MILLIS} ms and only while some request has
 * waited that long.
 * Where the table cannot be read (not Linux), it does nothing and a waiting request leaves at its deadline.
 */
final class ClientWatch implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ClientWatch.class.getName());
    private static final long PERIOD_MILLIS = 200;
    private static final String ESTABLISHED = "01";
    private static final int MISSES_TO_GONE = 2;
    private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));

    private final int serverPort;
    private final Map<Object, Watched> watched = new ConcurrentHashMap<>();
    private final boolean available;
    private final Thread thread;
    private volatile boolean closed;

    /** {@code misses}: scans in a row that did not find the connection; the kernel's table is read without a lock. */
    private record Watched(int remotePort, Runnable onGone, int misses, long since) { }

    ClientWatch(int serverPort) {
        this.serverPort = serverPort;
        this.available = Files.isReadable(TABLES.get(0));
        if (!available) {
            LOG.log(System.Logger.Level.INFO, "no /proc/net/tcp: clients that leave are noticed at their deadline");
        }
        thread = Thread.ofPlatform().daemon().name("rest-client-watch").unstarted(this::run);
        if (available) {
            thread.start();
        }
    }

    /** Calls {@code onGone} (on the watch thread) if the client hangs up before {@link #unwatch}. */
    void watch(Object key, InetSocketAddress client, Runnable onGone) {
        if (available) {
            watched.put(key, new Watched(client.getPort(), onGone, 0, System.nanoTime()));
        }
    }

    void unwatch(Object key) {
        watched.remove(key);
    }

    private void run() {
        while (!closed) {
            long waitingSince = System.nanoTime() - PERIOD_MILLIS * 1_000_000;
            // Most requests get their permit at once; the table is read only for those that really wait.
            if (watched.values().stream().noneMatch(w -> w.since <= waitingSince)) {
                LockSupport.parkNanos(this, PERIOD_MILLIS * 1_000_000);
                continue;
            }
            Set<Integer> alive = establishedRemotePorts();
            if (alive != null) {
                watched.forEach((key, w) -> {
                    if (alive.contains(w.remotePort)) {
                        watched.replace(key, w, new Watched(w.remotePort, w.onGone, 0, w.since));
                    } else if (w.misses + 1 < MISSES_TO_GONE) {
                        watched.replace(key, w, new Watched(w.remotePort, w.onGone, w.misses + 1, w.since));
                    } else if (watched.remove(key, w)) {
                        w.onGone.run();
                    }
                });
            }
            LockSupport.parkNanos(this, PERIOD_MILLIS * 1_000_000);
        }
    }

    /** Remote ports of ESTABLISHED connections to the server port, or null if the table cannot be read. */
    private Set<Integer> establishedRemotePorts() {
        Set<Integer> ports = new HashSet<>();
        try {
            for (Path table : TABLES) {
                if (!Files.isReadable(table)) {
                    continue;
                }
                for (String line : Files.readAllLines(table)) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length < 4 || !f[3].equals(ESTABLISHED)) {
                        continue;
                    }
                    if (port(f[1]) == serverPort) {
                        ports.add(port(f[2]));
                    }
                }
            }
            return ports;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static int port(String addressAndPort) {
        int colon = addressAndPort.lastIndexOf(':');
        return colon < 0 ? -1 : Integer.parseInt(addressAndPort.substring(colon + 1), 16);
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
    }
}
