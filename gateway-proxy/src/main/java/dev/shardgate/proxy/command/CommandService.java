package dev.shardgate.proxy.command;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shardgate.protocol.Subjects;
import dev.shardgate.proxy.gateway.Shard;
import dev.shardgate.proxy.gateway.ShardStatus;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Subscription;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The command path of CONTRACT.md over NATS request-reply: {@code {prefix}.gateway.send.{shard}} subscribed only
 * while this instance holds the shard's lease ({@link #own}/{@link #disown}), so a shard nobody owns answers "no
 * responders"; {@code {prefix}.gateway.info} in a queue group, so one instance answers, for the whole bot: it asks
 * every instance over {@code {prefix}.gateway.status} for the shards each holds and merges the answers, listing a
 * shard nobody holds as {@code UNOWNED}.
 *
 * <p>Threads: one jnats dispatcher thread receives requests; it validates and hands a command to the shard's
 * thread, which replies when the command was sent or refused. A {@code gateway.info} request is answered on a
 * virtual thread of its own, since it waits for the other instances.
 */
public final class CommandService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(CommandService.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String INFO_QUEUE_GROUP = "shardgate-gateway-info";
    /** How long gateway.info waits for other instances' answers (it returns sooner once every shard is accounted). */
    static final Duration GATHER_TIMEOUT = Duration.ofMillis(500);

    private final Connection nats;
    private final Dispatcher dispatcher;
    private final Subjects subjects;
    private final int shardCount;
    private final Supplier<List<ShardStatus>> held;
    private final Map<Integer, Subscription> owned = new ConcurrentHashMap<>();

    private CommandService(Connection nats, Subjects subjects, int shardCount, Supplier<List<ShardStatus>> held) {
        this.nats = nats;
        this.subjects = subjects;
        this.shardCount = shardCount;
        this.held = held;
        this.dispatcher = nats.createDispatcher();
    }

    /**
     * @param shardCount the bot's total shard count, for {@code gateway.info}
     * @param held the status of the shards whose lease this instance holds
     */
    public static CommandService start(Connection nats, Subjects subjects, int shardCount,
            Supplier<List<ShardStatus>> held) {
        CommandService service = new CommandService(nats, subjects, shardCount, held);
        service.dispatcher.subscribe(subjects.gatewayInfo(), INFO_QUEUE_GROUP,
                msg -> Thread.ofVirtual().name("shardgate-gateway-info").start(() -> service.onInfo(msg)));
        service.dispatcher.subscribe(subjects.gatewayStatus(), service::onStatus);
        return service;
    }

    /** This instance now holds the shard: it takes the shard's commands. */
    public void own(Shard shard) {
        owned.computeIfAbsent(shard.id(), id -> dispatcher.subscribe(subjects.gatewaySend(id),
                msg -> onCommand(shard, msg)));
    }

    /** This instance no longer holds the shard: its commands go to the new owner, or to nobody. */
    public void disown(int shard) {
        Subscription sub = owned.remove(shard);
        if (sub != null) {
            dispatcher.unsubscribe(sub);
        }
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

    private void onStatus(Message msg) {
        ArrayNode list = JSON.createArrayNode();
        held.get().forEach(s -> list.add(s.toJson()));
        if (msg.getReplyTo() != null) {
            try {
                nats.publish(msg.getReplyTo(), JSON.writeValueAsBytes(list));
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.DEBUG, "could not answer a status request: {0}", e.toString());
            }
        }
    }

    private void onInfo(Message msg) {
        Map<Integer, JsonNode> shards = new TreeMap<>();
        String inbox = nats.createInbox();
        Subscription answers = nats.subscribe(inbox);
        try {
            nats.publish(subjects.gatewayStatus(), inbox, new byte[0]);
            long deadline = System.nanoTime() + GATHER_TIMEOUT.toNanos();
            while (shards.size() < shardCount) {
                long left = deadline - System.nanoTime();
                Message answer = left <= 0 ? null : answers.nextMessage(Duration.ofNanos(left));
                if (answer == null) {
                    break;
                }
                for (JsonNode s : JSON.readTree(answer.getData())) {
                    shards.merge(s.path("id").asInt(), s, (a, b) -> isLive(a) ? a : b);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "gateway.info: an instance answered unreadably: {0}", e.toString());
        } finally {
            answers.unsubscribe();
        }
        ObjectNode node = JSON.createObjectNode().put("shard_count", shardCount);
        ArrayNode list = node.putArray("shards");
        for (int id = 0; id < shardCount; id++) {
            JsonNode s = shards.get(id);
            list.add(s != null ? s : JSON.createObjectNode().put("id", id).put("state", "UNOWNED"));
        }
        respond(msg, node);
    }

    private static boolean isLive(JsonNode s) {
        String state = s.path("state").asText();
        return state.equals("READY") || state.equals("RESUMED");
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
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "could not answer {0}: {1}", msg.getSubject(), e.toString());
        }
    }

    @Override
    public void close() {
        nats.closeDispatcher(dispatcher);
    }
}
