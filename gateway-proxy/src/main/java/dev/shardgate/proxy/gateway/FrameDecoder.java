package dev.shardgate.proxy.gateway;

import dev.shardgate.protocol.EnvelopeReader;
import dev.shardgate.protocol.GatewayFrame;
import dev.shardgate.protocol.MalformedFrameException;
import dev.shardgate.proxy.gateway.inflate.CorruptStreamException;
import dev.shardgate.proxy.gateway.inflate.OversizedPayloadException;
import dev.shardgate.proxy.gateway.inflate.TransportDecompressor;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Turns one connection's websocket messages into gateway frames: transport decompression when it is on, then the
 * envelope (op, t, s and the bytes of d). It runs on {@code gateway-io} (the {@link GatewaySelector} thread that
 * reads every connection), so a heartbeat ACK is seen the moment it arrives, never behind a backlog of dispatches waiting for the shard's thread (a false zombie under a
 * burst). Every frame it returns owns its bytes, since the decompressor's buffer goes back to a pool shared by all
 * connections.
 *
 * <p>Threads: {@link #decode} on {@code gateway-io}; {@link #close} may come from the shard's thread. Both hold this
 * object's lock (uncontended in practice), so the decompressor is never freed while it works.
 */
final class FrameDecoder {
    /** What one websocket message turned out to be. */
    sealed interface Decoded {
    }

    /** A whole gateway payload. */
    record Frame(GatewayFrame frame) implements Decoded {
    }

    /** The stream can no longer be read: drop the connection and resume on a fresh one. */
    record Broken(String kind, String why) implements Decoded {
    }

    /** One payload that is not a gateway envelope; skipped. */
    record Malformed(int length, String why) implements Decoded {
    }

    private final TransportDecompressor decompressor;
    private final int maxFrameBytes;
    private final EnvelopeReader envelopes = new EnvelopeReader();
    private boolean closed;

    /** @param decompressor the connection's transport decompressor, or null without transport compression */
    FrameDecoder(TransportDecompressor decompressor, int maxFrameBytes) {
        this.decompressor = decompressor;
        this.maxFrameBytes = maxFrameBytes;
    }

    /** The frame in this message, or null when the stream needs more messages to complete one (or after close). */
    synchronized Decoded decode(ByteBuffer bytes, boolean binary) {
        if (closed) {
            return null;
        }
        byte[] buf;
        int len;
        if (decompressor != null && binary) {
            try {
                len = decompressor.accept(bytes);
            } catch (OversizedPayloadException e) {
                return oversized(e.getMessage());
            } catch (CorruptStreamException e) {
                return new Broken("corrupt_stream", e.getMessage());
            }
            if (len < 0) {
                return null;
            }
            buf = Arrays.copyOf(decompressor.output(), len);
            decompressor.payloadTaken();
        } else {
            len = bytes.remaining();
            if (len > maxFrameBytes) {
                return oversized("payload of " + len + " bytes larger than " + maxFrameBytes
                        + " bytes (GATEWAY_MAX_FRAME_BYTES)");
            }
            buf = new byte[len];
            bytes.get(buf);
        }
        try {
            return new Frame(envelopes.read(buf, 0, len));
        } catch (MalformedFrameException e) {
            return new Malformed(len, e.getMessage());
        }
    }

    /** Discord replays the payload on every resume: the shard gets past it only once the limit is raised. */
    private static Broken oversized(String what) {
        return new Broken("oversized_frame", what + "; raise GATEWAY_MAX_FRAME_BYTES to accept it (Discord replays "
                + "it on every resume, so the shard stays behind it until then)");
    }

    synchronized void close() {
        closed = true;
        if (decompressor != null) {
            decompressor.close();
        }
    }
}
