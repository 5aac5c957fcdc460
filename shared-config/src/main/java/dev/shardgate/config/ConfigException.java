package dev.shardgate.config;

/** A setting that is missing or invalid; the message names the variable and is safe to print. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
