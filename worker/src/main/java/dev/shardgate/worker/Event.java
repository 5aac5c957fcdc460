package dev.shardgate.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * One gateway dispatch as a handler sees it: the event type, the shard and gateway sequence it came with,
 * and the dispatch's {@code d} byte for byte. JSON is parsed only when a handler asks ({@link #json()},
 * {@link #as(Class)}, with the worker's mapper); a body that is not the expected JSON fails with an {@link EventFormatException}.
 *
 * @param type the dispatch name {@code t}, e.g. {@code MESSAGE_CREATE}
 * @param shard the shard that received it
 * @param seq the gateway sequence {@code s}, or -1 when the header is missing
 * @param publishedAt when the gateway proxy stored it in the stream
 * @param deliveries how many times it has been delivered to a worker, this time included
 * @param raw the dispatch's {@code d}, byte for byte
 * @param context the clients and limits that come with it ({@link EventContext})
 */
@SuppressWarnings("ArrayRecordComponent") // the dispatch's bytes as stored, handed on without a copy; events are not values
public record Event(String type, int shard, long seq, Instant publishedAt, long deliveries, byte[] raw,
        EventContext context) {
    /** An event without a worker's context (tests, replays). */
    public Event(String type, int shard, long seq, Instant publishedAt, long deliveries, byte[] raw) {
        this(type, shard, seq, publishedAt, deliveries, raw, EventContext.detached());
    }

    /** The same event with another body (the whole one, read from the object store). */
    public Event withBody(byte[] body) {
        return new Event(type, shard, seq, publishedAt, deliveries, body, context);
    }

    /** The same event with its context. */
    public Event withContext(EventContext context) {
        return new Event(type, shard, seq, publishedAt, deliveries, raw, context);
    }

    /** The body as a JSON tree. */
    public JsonNode json() {
        try {
            JsonNode node = context.json().readTree(raw);
            if (node == null || node.isMissingNode()) {
                throw new EventFormatException(this, "the body is empty");
            }
            return node;
        } catch (IOException e) {
            throw new EventFormatException(this, describe(e));
        }
    }

    /** The body bound to a type with Jackson. */
    public <T> T as(Class<T> type) {
        try {
            return context.json().readValue(raw, type);
        } catch (IOException e) {
            throw new EventFormatException(this, describe(e));
        }
    }

    /** The body as UTF-8 text. */
    public String text() {
        return new String(raw, StandardCharsets.UTF_8);
    }

    private static String describe(IOException e) {
        return e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.toString();
    }

    @Override
    public String toString() {
        return type + "[shard=" + shard + ", seq=" + seq + ", deliveries=" + deliveries + ", bytes=" + raw.length + "]";
    }
}
