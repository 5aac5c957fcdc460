package dev.shardgate.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.JsonParseException;
import dev.shardgate.config.Backoff;
import dev.shardgate.worker.gateway.GatewayException;
import dev.shardgate.worker.rest.RestException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** Which failures retry in place, which dead-letter at once, and the one backoff they wait by. */
class FailureKindTest {
    @Test
    void restFailuresClassifyByStatus() {
        assertEquals(FailureKind.TRANSIENT, FailureKind.of(new RestException("unreachable", 0, "")));
        assertEquals(FailureKind.TRANSIENT, FailureKind.of(new RestException("busy", 503, "")));
        assertEquals(FailureKind.TRANSIENT, FailureKind.of(new RestException("limited", 429, "")));
        assertEquals(FailureKind.PERMANENT, FailureKind.of(new RestException("Missing Permissions", 403, "")));
        assertEquals(FailureKind.PERMANENT, FailureKind.of(new RestException("Unknown Channel", 404, "")));
        assertEquals(FailureKind.TRANSIENT, FailureKind.of(new RestException("not sent: deadline passed", -1, "")));
    }

    @Test
    void gatewayFailuresClassifyByWhetherTheProxyRefused() {
        assertEquals(FailureKind.TRANSIENT, FailureKind.of(new GatewayException("no responders", true)));
        assertEquals(FailureKind.PERMANENT, FailureKind.of(new GatewayException("op 4 not allowed", false)));
    }

    @Test
    void timeoutsAndIoAreTransientEvenWrappedAndBadJsonIsPermanent() {
        assertEquals(FailureKind.TRANSIENT, FailureKind.of(new TimeoutException("NATS request")));
        assertEquals(FailureKind.TRANSIENT, FailureKind.of(new HttpTimeoutException("slow")));
        assertEquals(FailureKind.TRANSIENT, FailureKind.of(new IllegalStateException(new ConnectException("refused"))));
        assertEquals(FailureKind.TRANSIENT, FailureKind.of(new UncheckedIOException(new IOException("NATS gone"))));
        assertEquals(FailureKind.PERMANENT, FailureKind.of(new JsonParseException(null, "bad")));
        assertEquals(FailureKind.UNKNOWN, FailureKind.of(new NullPointerException()));
        assertEquals(FailureKind.UNKNOWN, FailureKind.of(new StackOverflowError()));
    }

    @Test
    void backoffDoublesFromTheFirstWaitAndStopsAtItsMaximum() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1));
        assertEquals(Duration.ofMillis(100), b.delay(0));
        assertEquals(Duration.ofMillis(100), b.delay(1));
        assertEquals(Duration.ofMillis(400), b.delay(3));
        assertEquals(Duration.ofSeconds(1), b.delay(5));
        assertEquals(Duration.ofSeconds(1), b.delay(Long.MAX_VALUE));
    }
}
