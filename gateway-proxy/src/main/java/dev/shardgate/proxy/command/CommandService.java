package dev.shardgate.proxy.command;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.proxy.gateway.Shard;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import java.util.Collection;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The command path of CONTRACT.md over NATS request-reply: {@code {prefix}.gateway.send.{shard}} for each owned
 * shard (so a shard nobody owns answers "no responders"), and {@code {prefix}.gateway.info} in a queue group, so
 * one instance answers.
 *
 * <p>Threads: one jnats dispatcher thread receives requests; it validates and hands the command to the shard's
 * thread, which replies when the command was sent or refused. Nothing here waits for a send slot.
 */
public final class CommandService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(CommandService.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String INFO_QUEUE_GROUP = "shardgate-gateway-info";

    private final Connection nats;
    private final Dispatcher dispatcher;

    private CommandService(Connection nats, Dispatcher dispatcher) {
        this.nats = nats;
        this.dispatcher = dispatcher;
    }

    /**
     * @param shards the owned shards by id
     * @param shardCount the bot's total shard count, for {@code gateway.info}
     */
    public static CommandService start(Connection nats, Subjects subjects, int shardCount, Map<Integer, Shard> shards) {
        Dispatcher d = nats.createDispatcher();
        CommandService service = new CommandService(nats, d);
        shards.forEach((id, shard) -> d.subscribe(subjects.gatewaySend(id), msg -> service.onCommand(shard, msg)));
        d.subscribe(subjects.gatewayInfo(), INFO_QUEUE_GROUP, msg -> service.onInfo(msg, shardCount, shards::values));
        return service;
    }

    private void onCommand(Shard shard, Message msg) {
        CommandValidator.Result result = CommandValidator.validate(msg.getData());
        if (!result.ok()) {
            LOG.log(System.Logger.Level.DEBUG, "shard {0}: refused a command: {1}", shard.id(), result.error());
            reply(msg, result.error());
            return;
        }
        shard.submit(result.payload(), error -> reply(msg, error));
    }

    private void onInfo(Message msg, int shardCount, Supplier<Collection<Shard>> shards) {
        ObjectNode node = JSON.createObjectNode().put("shard_count", shardCount);
        ArrayNode list = node.putArray("shards");
        shards.get().forEach(s -> list.add(s.status().toJson()));
        respond(msg, node);
    }

    private void reply(Message msg, String error) {
        ObjectNode node = JSON.createObjectNode().put("ok", error == null);
        if (error != null) {
            node.put("error", error);
        }
        respond(msg, node);
    }

    private void respond(Message msg, ObjectNode body) {
        if (msg.getReplyTo() == null) {
            return;
        }
        try {
            nats.publish(msg.getReplyTo(), JSON.writeValueAsBytes(body));
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "could not answer {0}: {1}", msg.getSubject(), e.toString());
        }
    }

    @Override
    public void close() {
        nats.closeDispatcher(dispatcher);
    }
}
