package dev.shardgate.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.protocol.Snowflake;
import dev.shardgate.testkit.NatsServerProcess;
import dev.shardgate.worker.consume.DeadLetters;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Typed handlers: Discord4J's model bound from the stream's bytes, the context beside it, typos reported. */
@Tag("process")
class TypedEventsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void typedHandlersGetTheBoundBodyTheContextAndTheRawBytes() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
                EventStream stream = new EventStream(nats.url(), "discord");
                FakeRestProxy proxy = new FakeRestProxy()) {
            stream.create();
            List<String> seen = new CopyOnWriteArrayList<>();
            List<Optional<Instant>> deadlines = new CopyOnWriteArrayList<>();
            Worker worker = Worker.builder(WorkerConfig.from(Map.of("NATS_URL", nats.url(),
                    "REST_PROXY_URL", proxy.url()))).on(Events.MESSAGE_CREATE, (created, context) -> {
                        Event raw = context.event();
                        seen.add(created.message().content() + " shard " + raw.shard() + " seq " + raw.seq() + " "
                                + new String(raw.raw(), StandardCharsets.UTF_8));
                        context.rest().createMessage(created.message().channelId().asString(), "pong");
                    }).on(Events.INTERACTION_CREATE, (created, context) -> deadlines.add(context.deadline()))
                    .on(Events.MESSAGE_DELETE, (deleted, context) -> seen.add("deleted " + deleted.id().asString()))
                    .build();
            try {
                worker.start();
                String body = DiscordPayloads.message("42", "hello", false);
                stream.publish(2, 7, "MESSAGE_CREATE", body);
                long id = DiscordPayloads.freshId();
                stream.publish(2, 8, "INTERACTION_CREATE", DiscordPayloads.command(id, "ping"));
                stream.publish(2, 9, "MESSAGE_DELETE", "{\"id\":\"17\",\"channel_id\":\"42\",\"guild_id\":\"9\"}");

                await().atMost(WAIT).until(() -> seen.size() == 2 && deadlines.size() == 1);
                assertTrue(seen.contains("hello shard 2 seq 7 " + body), seen.toString());
                assertTrue(seen.contains("deleted 17"), seen.toString());
                assertEquals(Optional.of(Instant.ofEpochMilli(Snowflake.timestampMillis(id)).plusSeconds(3)),
                        deadlines.get(0), "an interaction's deadline is its creation plus 3 s");
                await().atMost(WAIT).until(() -> proxy.requests().size() == 1);
                assertEquals("/api/v10/channels/42/messages", proxy.requests().get(0).path());
            } finally {
                worker.drain();
            }
        }
    }

    @Test
    void aBodyThatIsNotTheTypeIsDeadLetteredAtOnceAndTheWorkerKeepsServing() throws Exception {
        try (NatsServerProcess nats = NatsServerProcess.start();
                EventStream stream = new EventStream(nats.url(), "discord")) {
            stream.create();
            List<String> seen = new CopyOnWriteArrayList<>();
            AtomicInteger runs = new AtomicInteger();
            Worker worker = Worker.builder(WorkerConfig.from(Map.of("NATS_URL", nats.url())))
                    .on(Events.MESSAGE_CREATE, (created, context) -> {
                        runs.incrementAndGet();
                        seen.add(created.message().content());
                    }).build();
            try {
                worker.start();
                stream.publish(0, 1, "MESSAGE_CREATE", "{\"id\":\"1\",\"channel_id\":\"42\",\"content\":5}");
                stream.publish(0, 2, "MESSAGE_CREATE", DiscordPayloads.message("42", "after", false));

                JetStreamSubscription sub = stream.connection().jetStream().subscribe("discord.deadletter.>",
                        PullSubscribeOptions.builder().stream(WorkerConfig.DEFAULT_DEAD_LETTER_STREAM).build());
                await().atMost(WAIT).ignoreExceptions().until(() -> stream.connection().jetStreamManagement()
                        .getStreamInfo(WorkerConfig.DEFAULT_DEAD_LETTER_STREAM).getStreamState().getMsgCount() == 1);
                Message dead = sub.fetch(1, WAIT).get(0);
                String error = dead.getHeaders().getFirst(DeadLetters.ERROR);
                assertTrue(error.contains("is not the expected JSON") && error.contains("required attributes"), error);
                assertEquals("1", dead.getHeaders().getFirst(DeadLetters.DELIVERIES), "dead-lettered at once");
                await().atMost(WAIT).until(() -> seen.contains("after"));
                assertEquals(1, runs.get(), "the handler never ran on the body that does not bind");
            } finally {
                worker.drain();
            }
        }
    }

    @Test
    void aHandlerForANameDiscordDoesNotSendIsReportedWithTheNameMeant() {
        List<String> warnings = new CopyOnWriteArrayList<>();
        Logger log = Logger.getLogger(Worker.class.getName());
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                warnings.add(record.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(capture);
        try {
            Worker.builder(WorkerConfig.from(Map.of())).on("MESAGE_CREATE", e -> { }).on("MESSAGE_CREATE", e -> { });
        } finally {
            log.removeHandler(capture);
        }
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("MESAGE_CREATE, which is not a Discord dispatch (did you mean "
                + "MESSAGE_CREATE?)"), warnings.get(0));
    }

    @Test
    void theNameMeantIsOnlySuggestedWhenItIsClose() {
        assertEquals(Optional.of("GUILD_MEMBER_ADD"), Events.closest("guild_member_add"));
        assertEquals(Optional.of("INTERACTION_CREATE"), Events.closest("INTERACTIONS_CREATE"));
        assertEquals(Optional.empty(), Events.closest("MY_OWN_EVENT_FROM_ELSEWHERE"));
        assertTrue(Events.KNOWN.contains(Events.GUILD_MEMBERS_CHUNK.name()));
    }
}
