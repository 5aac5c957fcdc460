package dev.shardgate.proxy.gateway.inflate;

/**
 * A payload over GATEWAY_MAX_FRAME_BYTES: the stream is intact but this connection will not hold the payload. Kept
 * apart from corruption because the cure differs: Discord replays the payload on every resume, so only a larger
 * limit gets the shard past it.
 */
public final class OversizedPayloadException extends CorruptStreamException {
    private static final long serialVersionUID = 1L;

    public OversizedPayloadException(String message) {
        super(message);
    }
}
