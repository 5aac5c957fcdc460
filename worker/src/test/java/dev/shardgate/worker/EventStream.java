package dev.shardgate.worker;

import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.protocol.Subjects;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Test side of the contract: creates the event stream as the proxy would and publishes contract-shaped events. */
public final class EventStream implements AutoCloseable {
    public static final String SESSION = "test-session";
    private final Connection connection;
    private final Subjects subjects;

    public EventStream(String natsUrl, String prefix) throws IOException, InterruptedException {
        this.connection = Nats.connect(new Options.Builder().server(natsUrl).maxReconnects(-1).build());
        this.subjects = new Subjects(prefix);
    }

    public Connection connection() {
        return connection;
    }

    public void create() throws IOException, JetStreamApiException {
        connection.jetStreamManagement().addStream(StreamConfiguration.builder().name(Subjects.DEFAULT_STREAM)
                .subjects(subjects.allEvents()).storageType(StorageType.File)
                .duplicateWindow(Duration.ofMinutes(2)).build());
    }

    public void publish(int shard, long seq, String type, String json) throws IOException, JetStreamApiException {
        Headers headers = new Headers()
                .add(EventHeaders.SHARD, Integer.toString(shard))
                .add(EventHeaders.SEQ, Long.toString(seq))
                .add(EventHeaders.EVENT, type)
                .add(EventHeaders.MSG_ID, EventHeaders.messageId(shard, SESSION, seq));
        connection.jetStream().publish(subjects.event(shard, type), headers, json.getBytes(StandardCharsets.UTF_8));
    }

    /** A MESSAGE_CREATE body carrying a marker the handlers record. */
    public static String message(String content) {
        return "{\"id\":\"1\",\"channel_id\":\"42\",\"content\":\"" + content + "\",\"author\":{\"id\":\"7\"}}";
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
