package dev.shardgate.bench.gateway;

import dev.shardgate.bench.support.Distribution;
import dev.shardgate.bench.support.Pacer;
import dev.shardgate.protocol.EventHeaders;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.proxy.publish.EventStream;
import dev.shardgate.simulator.events.SimEvent;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The limit the proxy's event path is compared with: a plain jnats JetStream async publisher pushing the same bodies
 * with the same headers the proxy sets ({@code Discord-Shard}, {@code Discord-Seq}, {@code Discord-Event},
 * {@code Nats-Msg-Id}) at the same rate into a stream made like the proxy's ({@link EventStream#ensure}, its own
 * subjects {@code limit.events.>}), timing each message from the {@code publishAsync} call to its ack. The caller's
 * thread publishes; jnats' threads complete the acks.
 */
final class JetStreamLimit {
    static final String STREAM = "LIMIT_EVENTS";
    private static final Subjects SUBJECTS = new Subjects("limit");
    private static final String SESSION = "limit-session";

    private final JetStream js;
    private final MessageLoad load;
    private final int shards;
    private long next;

    JetStreamLimit(Connection nats, MessageLoad load, int shards) throws Exception {
        EventStream.ensure(nats.jetStreamManagement(), STREAM, SUBJECTS.allEvents(), Duration.ofHours(24),
                Duration.ofMinutes(10), 1);
        this.js = nats.jetStream();
        this.load = load;
        this.shards = shards;
    }

    /** Publishes at {@code rate} for the warm-up, then for the window; the publish-to-ack times of the window. */
    Distribution run(double rate, Duration warmUp, Duration window) throws Exception {
        Pacer pacer = new Pacer(rate);
        List<CompletableFuture<Long>> warm = new ArrayList<>();
        next = pacer.run(warmUp.toNanos(), next, i -> warm.add(publish(i)));
        CompletableFuture.allOf(warm.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        List<CompletableFuture<Long>> measured = new ArrayList<>();
        next = pacer.run(window.toNanos(), next, i -> measured.add(publish(i)));
        CompletableFuture.allOf(measured.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        return new Distribution(measured.stream().mapToLong(CompletableFuture::join).toArray());
    }

    /** One event as the proxy would publish it; completes with nanoseconds from the call to the ack. */
    private CompletableFuture<Long> publish(long index) {
        SimEvent e = load.event(index);
        int shard = (int) (index % shards);
        Headers headers = new Headers()
                .add(EventHeaders.SHARD, Integer.toString(shard))
                .add(EventHeaders.SEQ, Long.toString(index))
                .add(EventHeaders.EVENT, EventHeaders.eventValue(e.type()))
                .add(EventHeaders.MSG_ID, EventHeaders.messageId(shard, SESSION, index));
        NatsMessage msg = NatsMessage.builder().subject(SUBJECTS.event(shard, e.type())).headers(headers).data(e.d())
                .build();
        long start = System.nanoTime();
        return js.publishAsync(msg).thenApply(ack -> System.nanoTime() - start);
    }
}
