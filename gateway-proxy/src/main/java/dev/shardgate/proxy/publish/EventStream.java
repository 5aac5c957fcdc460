package dev.shardgate.proxy.publish;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import java.io.IOException;
import java.time.Duration;

/**
 * Creates the event stream if it is absent: limits retention (events stay until they age out, whether or not a
 * worker read them, so workers can come and go), file storage, a max age, and a de-duplication window that covers
 * the resume replays which {@code Nats-Msg-Id} turns into no-ops. An existing stream is left as it is: operators may
 * have tuned it.
 */
public final class EventStream {
    private static final System.Logger LOG = System.getLogger(EventStream.class.getName());
    /** JetStream's API error code for "stream not found". */
    private static final int STREAM_NOT_FOUND = 10059;

    private EventStream() {
    }

    public static StreamInfo ensure(JetStreamManagement jsm, String name, String subject, Duration maxAge,
            Duration duplicateWindow, int replicas) throws IOException, JetStreamApiException {
        try {
            StreamInfo info = jsm.getStreamInfo(name);
            if (!info.getConfiguration().getSubjects().contains(subject)) {
                LOG.log(System.Logger.Level.WARNING, "stream {0} exists but does not list subject {1} (it lists {2}); "
                        + "events may not be stored", name, subject, info.getConfiguration().getSubjects());
            }
            return info;
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != STREAM_NOT_FOUND) {
                throw e;
            }
        }
        StreamInfo created = jsm.addStream(StreamConfiguration.builder()
                .name(name)
                .subjects(subject)
                .retentionPolicy(RetentionPolicy.Limits)
                .storageType(StorageType.File)
                .discardPolicy(DiscardPolicy.Old)
                .maxAge(maxAge)
                .duplicateWindow(duplicateWindow)
                .replicas(replicas)
                .build());
        LOG.log(System.Logger.Level.INFO, "created stream {0} on {1} (max age {2}, duplicate window {3}, {4} "
                + "replica(s))", name, subject, maxAge, duplicateWindow, replicas);
        return created;
    }
}
