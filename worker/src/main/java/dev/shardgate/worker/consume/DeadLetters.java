package dev.shardgate.worker.consume;

import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.worker.Event;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.PublishOptions;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;

/**
 * Publishes events that cannot be handled to {@code {prefix}.deadletter.{shard}.{type}}, kept in a stream the
 * worker creates if absent, with the original body and headers plus why it failed. A publish is confirmed by
 * the server before the original is acknowledged, so nothing disappears between the two. An event whose body is in
 * the object store is dead-lettered as it was stored: its {@code Shardgate-Object} header and an empty body. The
 * gateway proxy dead-letters events the event stream refuses into the same stream
 * ({@code {prefix}.deadletter.proxy.{shard}}) and creates it with the same settings if it comes first.
 * Thread-safe.
 */
public final class DeadLetters {
    public static final String ERROR = EventHeaders.ERROR;
    public static final String DELIVERIES = "Shardgate-Deliveries";
    public static final String STREAM_SEQ = "Shardgate-Stream-Seq";
    public static final String FAILED_AT = "Shardgate-Failed-At";
    /** Kept for a week: enough to notice, fix the handler and replay. */
    static final Duration RETENTION = Duration.ofDays(7);

    private final JetStream jetStream;
    private final Subjects subjects;
    private final String stream;

    public DeadLetters(JetStream jetStream, Subjects subjects, String stream) {
        this.jetStream = jetStream;
        this.subjects = subjects;
        this.stream = stream;
    }

    /** {@code {prefix}.deadletter.{shard}.{type}}, the type as its subject token ({@link Subjects#eventToken}). */
    public static String subject(Subjects subjects, int shard, String type) {
        return subjects.prefix() + ".deadletter." + shard + "." + Subjects.eventToken(type);
    }

    /** Creates the dead-letter stream unless it exists. */
    public void ensureStream(JetStreamManagement management) throws IOException, JetStreamApiException {
        try {
            management.getStreamInfo(stream);
        } catch (JetStreamApiException notFound) {
            if (notFound.getApiErrorCode() != 10059) {
                throw notFound;
            }
            management.addStream(StreamConfiguration.builder().name(stream)
                    .subjects(subjects.deadLetters())
                    .storageType(StorageType.File).maxAge(RETENTION).build());
        }
    }

    /**
     * Stores the event with its error; returns normally only once the server has it.
     *
     * @param messageId the original's {@code Nats-Msg-Id}, if any, so a repeated dead-lettering is stored once
     * @param object the original's {@code Shardgate-Object}, if any: the body stays in the object store
     */
    public void publish(Event event, long streamSeq, String messageId, String object, String error)
            throws IOException, JetStreamApiException {
        Headers headers = new Headers()
                .add(EventHeaders.SHARD, Integer.toString(event.shard()))
                .add(EventHeaders.SEQ, Long.toString(event.seq()))
                .add(EventHeaders.EVENT, EventHeaders.eventValue(event.type()))
                .add(ERROR, EventHeaders.errorValue(error))
                .add(DELIVERIES, Long.toString(event.deliveries()))
                .add(STREAM_SEQ, Long.toString(streamSeq))
                .add(FAILED_AT, Instant.now().toString());
        PublishOptions.Builder options = PublishOptions.builder().expectedStream(stream);
        if (messageId != null) {
            options.messageId("dead:" + messageId);
        }
        if (object != null) {
            headers.add(EventHeaders.OBJECT, object);
        }
        jetStream.publish(subject(subjects, event.shard(), event.type()), headers,
                object == null ? event.raw() : new byte[0], options.build());
    }
}
