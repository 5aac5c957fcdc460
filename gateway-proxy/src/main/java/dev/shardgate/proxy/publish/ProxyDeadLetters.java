package dev.shardgate.proxy.publish;

import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.protocol.Subjects;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.io.IOException;
import java.time.Duration;

/**
 * Stores the events the event stream refuses for good on {@code {prefix}.deadletter.proxy.{shard}}: the event's
 * headers and body, plus {@link EventHeaders#SUBJECT} (where it should have gone) and {@link EventHeaders#ERROR}
 * (why it could not), with {@code Nats-Msg-Id = dead:{original id}} so a replayed event is dead-lettered once.
 *
 * <p>They go to whichever stream captures that subject: normally the workers' dead-letter stream
 * ({@code {prefix}.deadletter.>}, {@code DISCORD_DEADLETTER} by default). If no stream captures it, this class
 * creates {@code DISCORD_DEADLETTER} exactly as the worker library would (file storage, 7 days), so either side may
 * come first. A dead letter that would itself exceed {@code max_payload} goes without its body and says so.
 *
 * <p>Blocking; called on the publisher's dead-letter threads (one virtual thread per dead letter). Thread-safe: the
 * stream is checked once under this object's lock.
 */
final class ProxyDeadLetters {
    private static final System.Logger LOG = System.getLogger(ProxyDeadLetters.class.getName());
    /** The worker library's DeadLetters.RETENTION: whichever side creates the stream creates the same one. */
    static final Duration RETENTION = Duration.ofDays(7);
    /** Room for the dead letter's own headers when deciding whether the body still fits. */
    private static final int HEADER_ROOM = 2048;

    private final Connection nats;
    private final JetStream js;
    private final Subjects subjects;
    private boolean streamChecked;

    ProxyDeadLetters(Connection nats, JetStream js, Subjects subjects) {
        this.nats = nats;
        this.js = js;
        this.subjects = subjects;
    }

    /** Returns once the server has stored the dead letter. */
    void publish(BufferedEvent e, Headers eventHeaders, String error, long maxPayload)
            throws IOException, JetStreamApiException {
        ensureStream();
        Headers headers = new Headers(eventHeaders)
                .put(EventHeaders.MSG_ID, "dead:" + e.messageId())
                .put(EventHeaders.SUBJECT, subjects.event(e.shard, e.type));
        byte[] body = e.objectName() == null ? e.data : new byte[0];
        String why = error;
        if (body.length + headers.serializedLength() + HEADER_ROOM > maxPayload) {
            why = error + "; body of " + body.length + " bytes not kept: too large for a dead letter";
            body = new byte[0];
        }
        headers.put(EventHeaders.ERROR, EventHeaders.errorValue(why));
        js.publish(NatsMessage.builder().subject(subjects.proxyDeadLetter(e.shard)).headers(headers).data(body)
                .build());
    }

    private synchronized void ensureStream() throws IOException, JetStreamApiException {
        if (streamChecked) {
            return;
        }
        JetStreamManagement jsm = nats.jetStreamManagement();
        if (jsm.getStreamNames(subjects.proxyDeadLetter(0)).isEmpty()) {
            jsm.addStream(StreamConfiguration.builder().name(Subjects.DEFAULT_DEAD_LETTER_STREAM)
                    .subjects(subjects.deadLetters()).storageType(StorageType.File).maxAge(RETENTION).build());
            LOG.log(System.Logger.Level.INFO, "created dead-letter stream {0} on {1}",
                    Subjects.DEFAULT_DEAD_LETTER_STREAM, subjects.deadLetters());
        }
        streamChecked = true;
    }
}
