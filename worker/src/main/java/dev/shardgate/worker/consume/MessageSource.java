package dev.shardgate.worker.consume;

import io.nats.client.ConsumerContext;
import io.nats.client.FetchConsumeOptions;
import io.nats.client.FetchConsumer;
import io.nats.client.Message;
import java.time.Duration;
import org.slf4j.LoggerFactory;

/**
 * A durable consumer read by fetches that each ask for exactly as many messages as the {@link PullLoop} has free
 * handler slots: nothing waits in a client buffer beyond what is about to be handled, so a replica never holds more
 * unacknowledged events than its in-flight limit, and every one it holds has a handler (whose ack deadline is
 * extended). Used by its loop's thread, except {@link #stop()}.
 */
public final class MessageSource implements AutoCloseable {
    /** The server rejects pulls that expire in under a second. */
    static final Duration MIN_PULL = Duration.ofSeconds(1);

    private final ConsumerContext consumer;
    private volatile FetchConsumer current;
    private volatile boolean stopped;

    MessageSource(ConsumerContext consumer) {
        this.consumer = consumer;
    }

    /** Starts a fetch of at most {@code max} messages that ends after {@code expiry}. */
    void fetch(int max, Duration expiry) throws Exception {
        closeFetch();
        current = consumer.fetch(FetchConsumeOptions.builder().maxMessages(max)
                .expiresIn((expiry.compareTo(MIN_PULL) < 0 ? MIN_PULL : expiry).toMillis()).build());
        if (stopped) {
            current.stop();
        }
    }

    /**
     * The current fetch's next message, as soon as it arrives; null once the fetch has ended, and then the fetch is
     * closed: jnats returns null for an expired pull without ending it, and a fetch left open keeps its idle-heartbeat
     * timer, which reports a heartbeat alarm at ERROR every few seconds for every idle consumer.
     */
    Message next() throws Exception {
        Message message = current.nextMessage();
        if (message == null) {
            closeFetch();
        }
        return message;
    }

    /** Asks for no more messages; what is already on its way is still returned by {@link #next}. */
    void stop() {
        stopped = true;
        FetchConsumer f = current;
        if (f != null) {
            f.stop();
        }
    }

    boolean stopped() {
        return stopped;
    }

    @Override
    public void close() {
        stop();
        closeFetch();
    }

    private void closeFetch() {
        FetchConsumer f = current;
        if (f != null) {
            try {
                f.close();
            } catch (Exception e) {
                LoggerFactory.getLogger(MessageSource.class).atDebug()
                        .setMessage(() -> "closing a fetch of " + consumer.getConsumerName() + ": " + e).log();
            }
        }
    }
}
