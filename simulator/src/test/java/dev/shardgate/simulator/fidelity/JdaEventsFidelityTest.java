package dev.shardgate.simulator.fidelity;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.simulator.Simulator;
import dev.shardgate.simulator.events.EventFactory;
import dev.shardgate.simulator.gateway.DispatchRecord;
import java.time.Clock;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import net.dv8tion.jda.api.JDA;
import net.dv8tion.jda.api.entities.Message;
import net.dv8tion.jda.api.events.GenericEvent;
import net.dv8tion.jda.api.events.interaction.command.SlashCommandInteractionEvent;
import net.dv8tion.jda.api.hooks.EventListener;
import net.dv8tion.jda.api.requests.GatewayIntent;
import net.dv8tion.jda.api.sharding.ShardManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every kind of event the simulator generates, read by JDA: JDA builds its entities from them and logs a
 * warning when a payload lacks a field Discord always sends, so a clean log is the check. Also an
 * INTERACTION_CREATE answered through JDA's interaction callback, a follow-up and an edit of the original.
 */
@Tag("process")
class JdaEventsFidelityTest {
    private static final int BURST = 300;
    private static final Set<String> GENERATED = Set.of("MESSAGE_CREATE", "INTERACTION_CREATE", "TYPING_START",
            "MESSAGE_REACTION_ADD", "PRESENCE_UPDATE", "GUILD_MEMBER_ADD");

    private final List<LogRecord> jdaComplaints = new CopyOnWriteArrayList<>();
    private final Handler complaints = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                jdaComplaints.add(record);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final Logger jdaLogger = Logger.getLogger("net.dv8tion");
    private final Map<String, Integer> received = new ConcurrentHashMap<>();
    private final BlockingQueue<SlashCommandInteractionEvent> commands = new LinkedBlockingQueue<>();
    private Simulator sim;
    private ShardManager shards;
    private JDA jda;

    @BeforeEach
    void connectJda() {
        jdaLogger.addHandler(complaints);
        sim = Simulator.builder().shards(1).guildsPerShard(3).start();
        shards = JdaClients.shardManager(sim, EnumSet.allOf(GatewayIntent.class), (EventListener) this::count);
        JdaClients.awaitReady(shards);
        jda = shards.getShardById(0);
    }

    @AfterEach
    void stop() throws InterruptedException {
        try {
            JdaClients.shutdown(shards);
        } finally {
            sim.close();
            jdaLogger.removeHandler(complaints);
        }
    }

    private void count(GenericEvent event) {
        received.merge(event.getClass().getSimpleName(), 1, Integer::sum);
        if (event instanceof SlashCommandInteractionEvent command) {
            commands.add(command);
        }
    }

    @Test
    void jdaReadsEveryGeneratedEventWithoutComplaint() {
        assertEquals(List.of(), describe(jdaComplaints), "JDA complained while logging in");
        sim.gateway().burst(0, BURST);
        long lastSeq = sim.gateway().ledger(0).getLast().seq();
        await().atMost(30, SECONDS).until(() -> jda.getResponseTotal() >= lastSeq);

        Set<String> sent = sim.gateway().ledger(0).stream().map(DispatchRecord::type).filter(GENERATED::contains)
                .collect(Collectors.toSet());
        assertEquals(GENERATED, sent, "a burst of " + BURST + " covers every generated type");
        assertEquals(List.of(), describe(jdaComplaints), "JDA complained about generated events");
        for (String event : List.of("MessageReceivedEvent", "SlashCommandInteractionEvent",
                "MessageReactionAddEvent", "GuildMemberJoinEvent", "UserTypingEvent")) {
            assertTrue(received.getOrDefault(event, 0) > 0, event + " not raised; raised: " + received);
        }
    }

    @Test
    void jdaAnswersAnInteractionWithCallbackFollowUpAndEdit() throws InterruptedException {
        long guild = sim.gateway().guildIds(0)[0];
        sim.gateway().emit(new EventFactory(Clock.systemUTC()).interactionCreate(guild, "ping"));

        SlashCommandInteractionEvent command = commands.poll(20, SECONDS);
        assertNotNull(command, "JDA raised no slash command");
        assertEquals("ping", command.getName());
        assertEquals(guild, command.getGuild().getIdLong());
        command.reply("pong").complete();
        Message followUp = command.getHook().sendMessage("follow-up").complete();
        assertEquals("follow-up", followUp.getContentRaw());
        command.getHook().editOriginal("pong, edited").complete();
        assertTrue(sim.rest().observations().requestCounts().keySet().stream()
                        .anyMatch(key -> key.endsWith("interaction:" + command.getId())),
                "callback counted: " + sim.rest().observations().requestCounts());
        assertEquals(List.of(), describe(jdaComplaints));
    }

    private static List<String> describe(List<LogRecord> records) {
        return records.stream().map(r -> r.getLoggerName() + ": " + r.getMessage()).toList();
    }
}
