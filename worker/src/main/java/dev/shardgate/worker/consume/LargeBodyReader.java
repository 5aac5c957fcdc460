package dev.shardgate.worker.consume;

import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.ObjectStore;
import io.nats.client.api.ObjectInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.security.NoSuchAlgorithmException;

/**
 * Reads the body of an event the gateway proxy stored in the object store because it exceeded the server's
 * {@code max_payload} (CONTRACT.md: bucket {@code {stream}_LARGE}, object named in {@code Shardgate-Object}).
 * The stream is the one the message came from, so the bucket follows {@code EVENTS_STREAM} without a setting.
 *
 * <p>A missing object (aged out, deleted, or its bucket gone) is a {@link MissingBodyException}: retrying cannot
 * help. Anything else (timeouts, a lost connection, a read that came back short) is an ordinary exception and the
 * event is retried. Blocking; runs on the handler's thread, so only that event waits for it. Stateless.
 */
final class LargeBodyReader {
    /** JSStreamNotFoundErr: the bucket's stream does not exist. */
    private static final int NOT_FOUND = 10059;

    /** The body is gone for good. */
    static final class MissingBodyException extends Exception {
        MissingBodyException(String message) {
            super(message);
        }
    }

    /** CONTRACT.md: {@code {stream}_LARGE}. */
    static String bucketName(String streamName) {
        return streamName + "_LARGE";
    }

    byte[] read(Message message, String streamName, String objectName)
            throws IOException, JetStreamApiException, InterruptedException, MissingBodyException {
        String bucket = bucketName(streamName);
        ObjectStore store = message.getConnection().objectStore(bucket);
        ObjectInfo info = info(store, bucket, objectName);
        ByteArrayOutputStream body = new ByteArrayOutputStream((int) Math.min(info.getSize(), Integer.MAX_VALUE));
        try {
            store.get(objectName, body);
        } catch (IllegalArgumentException | IllegalStateException incomplete) {
            // jnats says "not found" or "chunks/size/digest mismatch": gone now, or a read that came back short
            info(store, bucket, objectName);
            throw new IOException("large body " + objectName + " in bucket " + bucket + " not read whole: "
                    + incomplete.getMessage(), incomplete);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        return body.toByteArray();
    }

    private static ObjectInfo info(ObjectStore store, String bucket, String objectName)
            throws IOException, JetStreamApiException, MissingBodyException {
        ObjectInfo info;
        try {
            info = store.getInfo(objectName);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == NOT_FOUND) {
                throw new MissingBodyException("large body " + objectName + " is missing: the object store bucket "
                        + bucket + " does not exist");
            }
            throw e;
        }
        if (info == null) {
            throw new MissingBodyException("large body " + objectName + " is missing from the object store bucket "
                    + bucket + " (aged out or deleted)");
        }
        return info;
    }
}
