package dev.shardgate.protocol;

/** Gateway intent bits (discord-gateway.md §17). */
public final class Intents {
    public static final int GUILDS = 1;
    public static final int GUILD_MEMBERS = 1 << 1;
    public static final int GUILD_PRESENCES = 1 << 8;
    public static final int GUILD_MESSAGES = 1 << 9;
    public static final int MESSAGE_CONTENT = 1 << 15;
    /** The privileged intents, which must be enabled in the Developer Portal. */
    public static final int PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT;
    /** Every intent that needs no approval: the default of {@code GATEWAY_INTENTS}. */
    public static final int ALL_NON_PRIVILEGED = 53575421;
    /** Every bit Discord defines today; a bit outside it is answered with close 4013. */
    public static final int ALL_DEFINED = ALL_NON_PRIVILEGED | PRIVILEGED;

    private Intents() {
    }
}
