package dev.shardgate.worker.example;

import dev.shardgate.worker.Events;
import dev.shardgate.worker.Worker;
import dev.shardgate.worker.WorkerConfig;

/** The bot of docs/worker.md ("A bot from zero"), compiled and run by StatusBotTest so the page stays true. */
public final class StatusBot {
    public static void main(String[] args) throws Exception {
        Worker.Builder bot = Worker.builder(WorkerConfig.fromEnvironment());
        bot.rest().overwriteGlobalCommands(System.getenv("APPLICATION_ID"), """
                [{"name": "members", "description": "How many members this server has"},
                 {"name": "status", "description": "Set the bot's status", "options":
                   [{"name": "text", "description": "What it says", "type": 3, "required": true}]}]""");
        Worker worker = bot.on(Events.INTERACTION_CREATE, (created, ctx) -> {
            var interaction = created.interaction();
            var command = interaction.data().get();
            String answer = switch (command.name().get()) {
                case "members" -> ctx.gateway().requestGuildMembers(interaction.guildId().get().asLong(),
                        ctx.timeLeft().orElseThrow().minusMillis(500)).members().size() + " members";
                case "status" -> {
                    ctx.gateway().setCustomStatus(command.options().get().get(0).value().get());
                    yield "Status set";
                }
                default -> "Unknown command";
            };
            ctx.rest().replyToInteraction(interaction.id().asString(), interaction.token(), answer);
        }).build();
        worker.drainOnShutdown();
        worker.start();
        worker.awaitStopped();
    }
}
