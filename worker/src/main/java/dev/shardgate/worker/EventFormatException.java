package dev.shardgate.worker;

/** An event's body is not the JSON its handler expects; retrying will not help, so it is dead-lettered at once. */
public final class EventFormatException extends RuntimeException implements FailureKind.Classified {
    private static final long serialVersionUID = 1L;

    public EventFormatException(Event event, String problem) {
        super(event + " is not the expected JSON: " + problem);
    }

    @Override
    public FailureKind kind() {
        return FailureKind.PERMANENT;
    }
}
