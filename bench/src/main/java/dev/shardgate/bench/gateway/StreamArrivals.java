package dev.shardgate.bench.gateway;

import dev.shardgate.protocol.EventHeaders;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every event stored in the stream from now on, by message id, with two times on this machine's clock: when
 * JetStream stored it (the server's timestamp in the message's metadata) and when this consumer received it. An
 * ordered push consumer that starts at new messages; jnats' dispatcher thread records, any thread reads.
 */
final class StreamArrivals implements AutoCloseable {
    /** Epoch nanoseconds of one stored event. */
    record Arrival(long storedAt, long receivedAt) {
    }

    private final Clock clock = Clock.systemUTC();
    private final Map<String, Arrival> arrivals = new ConcurrentHashMap<>();
    private final Connection nats;
    private final Dispatcher dispatcher;

    StreamArrivals(Connection nats, String stream, String subject) throws IOException, JetStreamApiException {
        this.nats = nats;
        this.dispatcher = nats.createDispatcher();
        nats.jetStream().subscribe(subject, dispatcher, this::record, false, PushSubscribeOptions.builder()
                .stream(stream).ordered(true)
                .configuration(ConsumerConfiguration.builder().deliverPolicy(DeliverPolicy.New).build()).build());
    }

    private void record(Message m) {
        long received = nanos(clock.instant());
        long stored = nanos(m.metaData().timestamp().toInstant());
        arrivals.put(m.getHeaders().getFirst(EventHeaders.MSG_ID), new Arrival(stored, received));
    }

    Arrival get(String messageId) {
        return arrivals.get(messageId);
    }

    /** Forgets what arrived so far (between runs). */
    void clear() {
        arrivals.clear();
    }

    static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    @Override
    public void close() {
        nats.closeDispatcher(dispatcher);
    }
}
