package dev.shardgate.worker.example;

import dev.shardgate.config.ConfigException;
import dev.shardgate.config.ProcessLogging;
import dev.shardgate.worker.EventContext;
import dev.shardgate.worker.Events;
import dev.shardgate.worker.Worker;
import dev.shardgate.worker.WorkerConfig;
import dev.shardgate.worker.rest.RestException;
import discord4j.discordjson.json.InteractionData;
import discord4j.discordjson.json.MessageData;
import discord4j.discordjson.json.gateway.InteractionCreate;
import discord4j.discordjson.json.gateway.MessageCreate;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * The example bot of CONTRACT.md, on the typed API: {@code !ping} in a message gets {@code pong}, and the
 * {@code /ping} slash command is answered with {@code pong}. Run it with {@code java -jar worker/target/worker.jar};
 * any number of copies can run side by side.
 */
public final class ExampleBot {
    static {
        ProcessLogging.install(); // before any logger initialises logging
    }

    /** Interaction type 2: an application (slash) command. */
    static final int APPLICATION_COMMAND = 2;
    /** The bot is a process of its own, so it serves its metrics unless told not to (the library opens no port). */
    static final int METRICS_PORT = 8082;

    /** Registers the bot's handlers. */
    public Worker.Builder register(Worker.Builder builder) {
        return builder.on(Events.MESSAGE_CREATE, this::onMessage).on(Events.INTERACTION_CREATE, this::onInteraction);
    }

    void onMessage(MessageCreate created, EventContext context) throws RestException, InterruptedException {
        MessageData message = created.message();
        if (!message.author().bot().toOptional().orElse(false) && "!ping".equals(message.content().trim())) {
            context.rest().createMessage(message.channelId().asString(), "pong");
        }
    }

    void onInteraction(InteractionCreate created, EventContext context) throws RestException, InterruptedException {
        InteractionData interaction = created.interaction();
        boolean ping = interaction.data().toOptional().flatMap(d -> d.name().toOptional()).filter("ping"::equals)
                .isPresent();
        if (interaction.type() == APPLICATION_COMMAND && ping) {
            context.rest().replyToInteraction(interaction.id().asString(), interaction.token(), "pong");
        }
    }

    public static void main(String[] args) throws Exception {
        WorkerConfig config;
        try {
            Map<String, String> env = new HashMap<>(System.getenv());
            env.putIfAbsent("WORKER_METRICS_PORT", Integer.toString(METRICS_PORT));
            config = WorkerConfig.from(env);
        } catch (ConfigException e) {
            System.err.println("configuration error: " + e.getMessage());
            System.exit(2);
            return;
        }
        Worker worker = new ExampleBot().register(Worker.builder(config)).build();
        worker.drainOnShutdown();
        worker.start();
        LoggerFactory.getLogger(ExampleBot.class).info("example bot running; SIGTERM drains and exits");
        worker.awaitStopped();
    }
}
