package dev.shardgate.worker.consume;

import dev.shardgate.config.Backoff;
import io.nats.client.Message;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls one durable consumer and hands each message to the {@link EventProcessor}, taking a message only when
 * {@link InFlight} has a free slot, so a replica never holds more than it can handle. CONCURRENT loops run each
 * handler on its own virtual thread; SEQUENTIAL loops (ordered mode) run it on the loop's thread, so one
 * consumer's events are handled one after another. The loop owns its thread and its {@link IterableConsumer}
 * (reopened through the {@link ConsumerOpener} when it breaks, e.g. the consumer was deleted); {@link #stop()}
 * stops the pulls, and the loop ends once the server has nothing more in flight to it, having handled what
 * arrived.
 */
public final class PullLoop {
    private static final Logger LOG = LoggerFactory.getLogger(PullLoop.class);
    /** Short fetches let a stopping loop end soon: a fetch already sent is waited for, never abandoned. */
    static final Duration PULL_EXPIRY = Duration.ofSeconds(2);
    private static final Backoff REOPEN = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(10));

    /** How a loop runs handlers. */
    public enum Dispatch { CONCURRENT, SEQUENTIAL }

    /** Opens (or reopens) the consumer this loop pulls. */
    @FunctionalInterface
    public interface ConsumerOpener {
        MessageSource open() throws Exception;
    }

    private final String name;
    private final ConsumerOpener opener;
    private final EventProcessor processor;
    private final InFlight inFlight;
    private final Dispatch dispatch;
    private final ExecutorService handlers;
    private final ShardGuard guard;
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile boolean stopRequested;
    private volatile MessageSource consumer;
    private Thread thread;

    /** @param guard what the loop's deliveries are checked against ({@link ShardGuard#NONE} in shared mode) */
    public PullLoop(String name, ConsumerOpener opener, EventProcessor processor, InFlight inFlight,
            Dispatch dispatch, ExecutorService handlers, ShardGuard guard) {
        this.name = name;
        this.guard = guard;
        this.opener = opener;
        this.processor = processor;
        this.inFlight = inFlight;
        this.dispatch = dispatch;
        this.handlers = handlers;
    }

    public synchronized void start() {
        thread = Thread.ofVirtual().name("pull-" + name).start(this::run);
    }

    /** Stops pulling; what the server already sent is still handled. Returns at once. */
    public void stop() {
        stopRequested = true;
        stopping = true;
        MessageSource c = consumer;
        if (c != null) {
            c.stop();
        }
    }

    /** Waits for the loop to end after {@link #stop()}; false if it had not ended in time. */
    public boolean awaitDone(Duration timeout) throws InterruptedException {
        return done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    public boolean isDone() {
        return done.getCount() == 0;
    }

    /** Ended without being asked to: its thread died or its shard was lost. */
    public boolean ended() {
        return isDone() && !stopRequested;
    }

    /** Ends the loop now, whatever it still holds (those messages are redelivered after the ack wait). */
    public synchronized void abort() {
        stop();
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void run() {
        int failures = 0;
        try {
            while (!stopping || consumer != null) {
                if (consumer == null) {
                    try {
                        consumer = opener.open();
                        failures = 0;
                        LOG.info("pulling " + name);
                        if (stopping) {
                            consumer.stop();
                        }
                    } catch (Exception e) {
                        Duration backoff = REOPEN.delay(++failures);
                        LOG.warn("cannot open consumer " + name + " (" + e.getMessage() + "); retrying in "
                                + backoff);
                        Thread.sleep(backoff.toMillis()); // retry pacing, not waiting for a condition
                        continue;
                    }
                }
                pullOne();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            LOG.error("pull loop " + name + " died; its owner restarts it", e);
        } finally {
            closeConsumer();
            done.countDown();
            LOG.info("stopped pulling " + name);
        }
    }

    /** One fetch of as many messages as there are free slots (one for a SEQUENTIAL loop), each handed on as it comes. */
    private void pullOne() throws InterruptedException {
        if (!guard.holds()) {
            // the shard is lost (the lease expired): take nothing more; what the server sent is redelivered elsewhere
            stopping = true;
            closeConsumer();
            return;
        }
        if (!stopping && processor.pause().paused()) {
            processor.pause().await(PULL_EXPIRY);
            return;
        }
        int reserved = inFlight.reserve(dispatch == Dispatch.SEQUENTIAL ? 1 : Integer.MAX_VALUE);
        int taken = 0;
        try {
            consumer.fetch(reserved, PULL_EXPIRY);
            Message message;
            while ((message = consumer.next()) != null) {
                taken++;
                inFlight.begin(message, guard);
                if (dispatch == Dispatch.SEQUENTIAL) {
                    handle(message);
                } else {
                    Message m = message;
                    handlers.execute(() -> handle(m));
                }
            }
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            LOG.warn("consumer " + name + " failed (" + e.getMessage() + "); reopening it");
            closeConsumer();
        } finally {
            inFlight.cancel(reserved - taken);
        }
        if (stopping) {
            closeConsumer(); // the last fetch has ended: nothing more can arrive
        }
    }

    private void handle(Message message) {
        try {
            processor.process(message, guard);
        } catch (Throwable e) { // an Error too: a SEQUENTIAL loop must outlive whatever one event does
            LOG.error("unexpected failure processing " + message.getSubject()
                    + "; it will be redelivered", e);
        } finally {
            inFlight.end(message);
        }
    }

    private void closeConsumer() {
        MessageSource c = consumer;
        consumer = null;
        if (c != null) {
            c.close();
        }
    }
}
