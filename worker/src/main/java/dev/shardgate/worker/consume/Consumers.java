package dev.shardgate.worker.consume;

import io.nats.client.Connection;
import io.nats.client.ConsumerContext;
import io.nats.client.JetStreamApiException;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import java.io.IOException;
import java.time.Duration;

/**
 * Creates the durable pull consumers on the event stream and opens them as {@link MessageSource}s. Replicas call this
 * concurrently with the same configuration, which JetStream treats as a no-op. Explicit acks; unlimited
 * deliveries on the server, because the worker counts deliveries itself and dead-letters instead of letting
 * the server drop an event silently.
 */
public final class Consumers {

    private final Connection connection;
    private final String stream;
    private final Duration ackWait;

    public Consumers(Connection connection, String stream, Duration ackWait) {
        this.connection = connection;
        this.stream = stream;
        this.ackWait = ackWait;
    }

    /**
     * @param maxAckPending how many of its events may be unacknowledged at once across all replicas;
     *     1 makes the consumer strictly ordered
     */
    public MessageSource open(String durable, String filter, long maxAckPending)
            throws IOException, JetStreamApiException {
        ConsumerConfiguration config = ConsumerConfiguration.builder()
                .durable(durable)
                .filterSubject(filter)
                .ackPolicy(AckPolicy.Explicit)
                .ackWait(ackWait)
                .deliverPolicy(DeliverPolicy.All)
                .maxDeliver(-1)
                .maxAckPending(maxAckPending)
                .build();
        connection.jetStreamManagement().addOrUpdateConsumer(stream, config);
        ConsumerContext context = connection.jetStream().getConsumerContext(stream, durable);
        return new MessageSource(context);
    }
}
