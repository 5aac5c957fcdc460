package dev.shardgate.worker.example;

import com.fasterxml.jackson.databind.JsonNode;
import dev.shardgate.config.ConfigException;
import dev.shardgate.config.ProcessLogging;
import dev.shardgate.worker.Event;
import dev.shardgate.worker.Worker;
import dev.shardgate.worker.WorkerConfig;
import dev.shardgate.worker.rest.RestClient;
import dev.shardgate.worker.rest.RestException;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.Map;

/**
 * The example bot of CONTRACT.md: {@code !ping} in a message gets {@code pong}, and the {@code /ping} slash
 * command is answered with {@code pong}. Run it with {@code java -jar worker/target/worker.jar}; any number of
 * copies can run side by side.
 */
public final class ExampleBot {
    static {
        ProcessLogging.install(); // before the logger below initialises logging
    }

    private static final System.Logger LOG = System.getLogger(ExampleBot.class.getName());
    /** Interaction type 2: an application (slash) command. */
    static final int APPLICATION_COMMAND = 2;
    /** The bot is a process of its own, so it serves its metrics unless told not to (the library opens no port). */
    static final int METRICS_PORT = 8082;

    private final RestClient rest;

    public ExampleBot(RestClient rest) {
        this.rest = rest;
    }

    /** Registers the bot's handlers. */
    public Worker.Builder register(Worker.Builder builder) {
        return builder.on("MESSAGE_CREATE", this::onMessage).on("INTERACTION_CREATE", this::onInteraction);
    }

    void onMessage(Event event) throws RestException, InterruptedException {
        JsonNode message = event.json();
        if (message.path("author").path("bot").asBoolean(false)) {
            return;
        }
        if ("!ping".equals(message.path("content").asText("").trim())) {
            rest.createMessage(message.path("channel_id").asText(), "pong");
        }
    }

    void onInteraction(Event event) throws RestException, InterruptedException {
        JsonNode interaction = event.json();
        if (interaction.path("type").asInt() == APPLICATION_COMMAND
                && "ping".equals(interaction.path("data").path("name").asText())) {
            rest.replyToInteraction(interaction.path("id").asText(), interaction.path("token").asText(), "pong");
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
        Worker.Builder builder = Worker.builder(config);
        Worker worker = new ExampleBot(builder.rest()).register(builder).build();
        worker.drainOnShutdown();
        worker.start();
        LOG.log(Level.INFO, "example bot running; SIGTERM drains and exits");
        worker.awaitStopped();
    }
}
