package dev.shardgate.worker;

import dev.shardgate.protocol.Subjects;
import java.util.Objects;

/**
 * A Discord dispatch by name ({@code t}) with the type its body ({@code d}) binds to; the constants are in
 * {@link Events}. Registering a handler with one ({@code Worker.Builder.on(Events.MESSAGE_CREATE, ...)}) cannot
 * misspell the name, and the handler receives the body already bound.
 *
 * @param name the dispatch name, e.g. {@code MESSAGE_CREATE}
 * @param payload what {@code d} binds to with the worker's mapper
 */
public record EventType<T>(String name, Class<T> payload) {
    public EventType {
        if (!Subjects.isToken(name)) {
            throw new IllegalArgumentException("not an event type: '" + name + "'");
        }
        Objects.requireNonNull(payload, "payload");
    }
}
