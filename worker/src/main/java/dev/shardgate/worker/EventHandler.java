package dev.shardgate.worker;

/**
 * Handles one event. Returning acknowledges it; throwing asks for a redelivery with backoff until the
 * delivery limit, after which the event goes to the dead-letter subject with the error.
 * Handlers run on virtual threads, so blocking calls (REST, gateway commands) are fine.
 */
@FunctionalInterface
public interface EventHandler {
    void handle(Event event) throws Exception;
}
