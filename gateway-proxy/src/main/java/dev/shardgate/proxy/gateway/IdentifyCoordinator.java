package dev.shardgate.proxy.gateway;

/**
 * Decides, for the whole bot across every proxy instance, whether one shard of a {@code max_concurrency} bucket
 * may identify now. Called only from the identify queue's thread; may block briefly (a NATS round trip).
 */
public interface IdentifyCoordinator {
    /** The answer to a claim. */
    enum Claim {
        /** Identify now: the bucket's 5 s window and one session start are taken. */
        GRANTED,
        /** Another identify of this bucket happened within 5 s, somewhere in the fleet. */
        BUCKET_BUSY,
        /** The session-start budget is down to the reserve that identifies never spend. */
        BUDGET_LOW,
        /** The coordination store cannot be reached: nobody may identify without it. */
        UNAVAILABLE
    }

    Claim claim(int bucket);

    /**
     * The granted identify of {@code bucket} has just been handed to its socket: the bucket's window starts again
     * from now, so that a send delayed after its grant (a busy machine, a slow hand-over) cannot bring the next
     * identify of the bucket closer than 5 s to it where Discord receives them. Best effort: if it cannot be
     * recorded, the window still runs from the grant.
     */
    void sent(int bucket);

    /** Session starts left for the bot as last seen (for the gauge); -1 before the first reading. */
    int remaining();
}
