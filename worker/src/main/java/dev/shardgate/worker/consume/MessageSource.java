package dev.shardgate.worker.consume;

import io.nats.client.ConsumerContext;
import io.nats.client.IterableConsumer;
import io.nats.client.Message;
import java.time.Duration;

/** Where a {@link PullLoop} takes messages from; used by the loop's thread only, except {@link #stop()}. */
public interface MessageSource extends AutoCloseable {
    Duration MIN_PULL = Duration.ofSeconds(1);

    /** The next message, or null if none came in time. */
    Message next(Duration wait) throws Exception;

    /** Asks for no more messages; what is already on its way is still returned by {@link #next}. */
    void stop();

    /** Stopped, and nothing more can arrive. */
    boolean isFinished();

    @Override
    void close();

    /** Pulls ahead, up to a batch, while earlier messages are handled: for the shared consumer. */
    static MessageSource pullingAhead(IterableConsumer consumer) {
        return new MessageSource() {
            @Override
            public Message next(Duration wait) throws Exception {
                return consumer.nextMessage(wait);
            }

            @Override
            public void stop() {
                consumer.stop();
            }

            @Override
            public boolean isFinished() {
                return consumer.isFinished();
            }

            @Override
            public void close() {
                try {
                    consumer.close();
                } catch (Exception e) {
                    System.getLogger(MessageSource.class.getName()).log(System.Logger.Level.DEBUG,
                            () -> "closing " + consumer.getConsumerName() + ": " + e);
                }
            }
        };
    }

    /**
     * One pull per message, issued only after the previous one was settled: for ordered consumers with one
     * event in flight, where a pull waiting at the server while the previous event is unacknowledged stalls
     * on nats-server 2.9 until the client's heartbeat alarm.
     */
    static MessageSource oneAtATime(ConsumerContext consumer) {
        return new MessageSource() {
            private volatile boolean stopped;

            @Override
            public Message next(Duration wait) throws Exception {
                // the server rejects pulls that expire in under a second
                return stopped ? null : consumer.next(wait.compareTo(MIN_PULL) < 0 ? MIN_PULL : wait);
            }

            @Override
            public void stop() {
                stopped = true;
            }

            @Override
            public boolean isFinished() {
                return stopped;
            }

            @Override
            public void close() {
                stopped = true;
            }
        };
    }
}
