package dev.shardgate.proxy.gateway.inflate;

/** The connection's compressed stream cannot be decoded any further (see {@link TransportDecompressor#accept}). */
public class CorruptStreamException extends Exception {
    private static final long serialVersionUID = 1L;

    public CorruptStreamException(String message) {
        super(message);
    }
}
