package dev.shardgate.proxy.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLContext;

/**
 * The socket I/O of every gateway connection of the process: one {@link Selector} on one platform thread,
 * {@code gateway-io}. A wake-up serves every socket that became ready, so frames that arrive together on many
 * connections cost one wake-up instead of a poller, a sub-poller and a carrier hand-off per frame (the virtual
 * thread per connection that this replaced spent more CPU on those context switches than on the events).
 *
 * <p>Threads: owns {@code gateway-io}. Everything registered here (channels, their keys, the timers) belongs to it;
 * other threads hand work over with {@link #execute} and {@link #schedule}. What a connection does on this thread
 * must never block: reads, TLS, websocket decoding, decompression and (when the shard is idle) the shard's own
 * handling of the frame, all bounded CPU work. Writes are not done here unless a socket's buffer was full: the
 * sender writes directly (see {@link GatewayConnection}), so a heartbeat never waits for this thread. A handler that
 * throws loses only its own connection ({@link Handler#failed}); the thread goes on. {@link #close} stops it. If
 * anything else stops it (the selector fails, a {@link VirtualMachineError}), every socket is closed and the owner
 * is told ({@code onDeath}): no connection of the process can be served any more.
 */
public final class GatewaySelector implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GatewaySelector.class.getName());
    /**
     * The read buffer shared by every connection (a read is decoded whole before the next one starts, and the engine
     * copies what a partial frame leaves over): one read takes in a burst of frames at once.
     */
    static final int READ_BUFFER_BYTES = 64 * 1024;

    /** One channel's events, called on {@code gateway-io}. */
    interface Handler {
        /** The key is ready for some of its interest set. */
        void ready(SelectionKey key) throws IOException;

        /** {@link #ready} threw: close the connection; the thread goes on. */
        void failed(Throwable error);
    }

    private record Timer(long deadline, long order, Runnable task) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer o) {
            int c = Long.compare(deadline, o.deadline);
            return c != 0 ? c : Long.compare(order, o.order);
        }
    }

    private final Selector selector;
    private final SSLContext tls;
    private final Consumer<Throwable> onDeath;
    private final LongSupplier ticker;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    /** Set while the thread may block in select, so that {@link #execute} wakes it only then. */
    private final AtomicBoolean selecting = new AtomicBoolean();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final ByteBuffer readBuffer = ByteBuffer.allocate(READ_BUFFER_BYTES);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private long timerOrder;
    private volatile boolean closed;

    private GatewaySelector(SSLContext tls, Consumer<Throwable> onDeath, LongSupplier ticker) throws IOException {
        this.selector = Selector.open();
        this.tls = tls;
        this.onDeath = onDeath;
        this.ticker = ticker;
        this.thread = Thread.ofPlatform().name("gateway-io").daemon().unstarted(this::loop);
        thread.start();
    }

    /**
     * @param tls the TLS context of {@code wss://} connections, or null for the JDK's default (tests pass one that
     *     trusts their own certificate)
     * @param onDeath called once, on {@code gateway-io} after every socket was closed, if the thread stops for any
     *     reason but {@link #close}
     */
    public static GatewaySelector open(SSLContext tls, Consumer<Throwable> onDeath) {
        try {
            return new GatewaySelector(tls == null ? SSLContext.getDefault() : tls, onDeath, System::nanoTime);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no default TLS context", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a selector", e);
        }
    }

    SSLContext tls() {
        return tls;
    }

    /** The buffer reads go into; use only on {@code gateway-io}, and only until the read is decoded. */
    ByteBuffer readBuffer() {
        assert inLoop();
        return readBuffer.clear();
    }

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /** Runs {@code task} on {@code gateway-io}, after what is running now; dropped once closed. */
    void execute(Runnable task) {
        tasks.add(task);
        if (!inLoop()) {
            wakeup();
        }
    }

    /** Runs {@code task} on {@code gateway-io} after {@code delay}; dropped once closed. */
    void schedule(Duration delay, Runnable task) {
        long deadline = ticker.getAsLong() + delay.toNanos();
        execute(() -> timers.add(new Timer(deadline, timerOrder++, task)));
    }

    /** Registers {@code channel}; call on {@code gateway-io}. */
    SelectionKey register(SelectableChannel channel, int ops, Handler handler) throws ClosedChannelException {
        assert inLoop();
        return channel.register(selector, ops, handler);
    }

    /**
     * Wakes the thread if it blocks in select: queued tasks, or an interest set changed from another thread, take
     * effect now rather than at the next wake-up.
     */
    void wakeup() {
        if (selecting.compareAndSet(true, false)) {
            selector.wakeup();
        }
    }

    private void loop() {
        Throwable death = null;
        try {
            while (!closed) {
                runTasks();
                long timeoutMillis = runTimers();
                selecting.set(true);
                if (!tasks.isEmpty()) {
                    selecting.set(false);
                    selector.selectNow(this::serve);
                } else {
                    selector.select(this::serve, timeoutMillis);
                    selecting.set(false);
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            if (!closed) {
                LOG.log(System.Logger.Level.ERROR, "gateway-io: the selector failed; gateway connections stop", e);
                death = e;
            }
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "gateway-io: stopped by an unexpected error", t);
            death = t;
        } finally {
            closeAll();
            stopped.countDown();
        }
        if (death != null) {
            onDeath.accept(death);
        }
    }

    /** One ready key; a failure here closes that key's connection only. */
    private void serve(SelectionKey key) {
        Handler handler = (Handler) key.attachment();
        try {
            handler.ready(key);
        } catch (Throwable t) {
            if (t instanceof VirtualMachineError vme && !(t instanceof StackOverflowError)) {
                throw vme;
            }
            try {
                handler.failed(t);
            } catch (Throwable again) {
                LOG.log(System.Logger.Level.ERROR, "gateway-io: closing a failed connection failed", again);
                key.cancel();
            }
        }
    }

    private void runTasks() {
        Runnable task;
        while ((task = tasks.poll()) != null) {
            runSafely(task);
        }
    }

    /** Runs the timers that are due; returns how long select may wait for the next one (0: forever). */
    private long runTimers() {
        while (!timers.isEmpty()) {
            long wait = timers.peek().deadline() - ticker.getAsLong();
            if (wait > 0) {
                return Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait + 999_999));
            }
            runSafely(timers.poll().task());
        }
        return 0;
    }

    private static void runSafely(Runnable task) {
        try {
            task.run();
        } catch (Throwable t) {
            if (t instanceof VirtualMachineError vme && !(t instanceof StackOverflowError)) {
                throw vme;
            }
            LOG.log(System.Logger.Level.ERROR, "gateway-io: a task failed; going on", t);
        }
    }

    private void closeAll() {
        try {
            for (SelectionKey key : selector.keys()) {
                try {
                    key.channel().close();
                } catch (IOException ignored) {
                    // closing everything anyway
                }
            }
            selector.close();
        } catch (IOException | ClosedSelectorException ignored) {
            // closed already
        }
    }

    /** Stops {@code gateway-io} and closes every socket still open (call after the shards were handed over). */
    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            if (!stopped.await(5, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "gateway-io did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
