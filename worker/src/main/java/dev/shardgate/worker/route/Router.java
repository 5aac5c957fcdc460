package dev.shardgate.worker.route;

import dev.shardgate.protocol.Subjects;
import dev.shardgate.worker.EventHandler;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Event type to handler, fixed once built; read by every handler thread, so it is immutable.
 * Events of a type without a handler are acknowledged and counted as unrouted: nobody asked for them.
 */
public final class Router {
    private final Map<String, EventHandler> handlers;

    private Router(Map<String, EventHandler> handlers) {
        this.handlers = Map.copyOf(handlers);
    }

    public static Builder builder() {
        return new Builder();
    }

    public Optional<EventHandler> handlerFor(String type) {
        return Optional.ofNullable(handlers.get(type));
    }

    public Set<String> types() {
        return handlers.keySet();
    }

    /** Collects handlers; registering a type twice is a programming error and fails at once. */
    public static final class Builder {
        private final Map<String, EventHandler> handlers = new HashMap<>();

        public Builder on(String type, EventHandler handler) {
            if (!Subjects.isToken(type)) {
                throw new IllegalArgumentException("not an event type: '" + type + "'");
            }
            if (handlers.putIfAbsent(type, Objects.requireNonNull(handler, "handler")) != null) {
                throw new IllegalArgumentException("a handler for " + type + " is already registered");
            }
            return this;
        }

        public Router build() {
            return new Router(handlers);
        }
    }
}
