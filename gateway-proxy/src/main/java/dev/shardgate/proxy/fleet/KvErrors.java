package dev.shardgate.proxy.fleet;

import io.nats.client.JetStreamApiException;

/** JetStream API errors that the KV compare-and-set code tells apart. */
final class KvErrors {
    /** "wrong last sequence": a compare-and-set lost (the key changed, exists, or is gone). */
    static final int WRONG_LAST_SEQUENCE = 10071;

    private KvErrors() {
    }

    static boolean lostRace(Throwable error) {
        Throwable t = error;
        while (t != null) {
            if (t instanceof JetStreamApiException api && api.getApiErrorCode() == WRONG_LAST_SEQUENCE) {
                return true;
            }
            t = t.getCause();
        }
        return false;
    }
}
