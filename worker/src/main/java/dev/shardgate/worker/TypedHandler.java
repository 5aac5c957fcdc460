package dev.shardgate.worker;

/**
 * Handles one event of an {@link EventType}: its body already bound, and the context that comes with it (REST and
 * gateway clients, the deadline, the raw event with its bytes). Returning acknowledges the event; what it throws
 * is classified ({@link FailureKind}) and decides whether it is retried or dead-lettered. A body that does not bind
 * to the type is an {@link EventFormatException}: dead-lettered at once, the handler never runs.
 */
@FunctionalInterface
public interface TypedHandler<T> {
    void handle(T payload, EventContext context) throws Exception;
}
