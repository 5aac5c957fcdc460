package dev.shardgate.worker.consume;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.worker.Event;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsJetStreamMetaData;
import io.nats.client.impl.NatsMessage;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How a stored message becomes an {@link Event}: the contract's headers first, the subject as the fallback. */
class EventProcessorTest {
    /** A JetStream message as a consumer receives it: stream seq 42, delivered twice. */
    private static NatsMessage message(String subject, Headers headers) {
        return new NatsMessage(subject, "$JS.ACK.events.workers.2.42.7.1767225600000000000.0", headers,
                "{}".getBytes(StandardCharsets.UTF_8)) {
            @Override
            public boolean isJetStream() {
                return true;
            }
        };
    }

    @Test
    void theSeqHeaderIsReadAsALongBeyondTheIntRange() {
        NatsMessage m = message("discord.events.3.MESSAGE_CREATE", new Headers().add(EventHeaders.SHARD, "3")
                .add(EventHeaders.SEQ, "4294967296").add(EventHeaders.EVENT, "MESSAGE_CREATE"));
        Event event = EventProcessor.toEvent(m, new NatsJetStreamMetaData(m));
        assertEquals(4_294_967_296L, event.seq());
        assertEquals(3, event.shard());
        assertEquals(2, event.deliveries());
    }

    @Test
    void withoutHeadersTheSubjectNamesShardAndTypeAndTheSeqIsUnknown() {
        NatsMessage m = message("discord.events.5.TYPING_START", null);
        Event event = EventProcessor.toEvent(m, new NatsJetStreamMetaData(m));
        assertEquals(5, event.shard());
        assertEquals("TYPING_START", event.type());
        assertEquals(-1, event.seq());
    }
}
