package dev.shardgate.proxy.rest.limit;

/**
 * Leave to send one request now. The holder must end it exactly once: {@link #complete} with Discord's answer,
 * {@link #unsent} if it never went out (its slot is given back at once), or {@link #lost} if it may have
 * reached Discord but no answer came (its slot is held for a whole window). Later calls are ignored.
 */
public interface Permit {
    /** How long the request waited for its limits. */
    long waitedNanos();

    /**
     * The request has just been committed to the connection toward Discord: its way there starts now. Called at
     * most once, before {@link #complete}; a permit never told so is timed from its grant.
     */
    void sent();

    void complete(Answer answer);

    void unsent();

    void lost();
}
