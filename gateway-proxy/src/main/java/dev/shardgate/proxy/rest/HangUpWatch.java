package dev.shardgate.proxy.rest;

import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;

/**
 * Notices a client that hangs up while its request waits for a permit. Jetty reads a connection only when its
 * handler asks for content, so a closed connection would go unnoticed until the answer is written; this registers
 * interest in reading the connection for the length of the wait: the selector then reports the client's FIN or RST
 * at once, on any OS. It reads at most one byte: end of stream or an error means the client is gone; a byte means
 * the client pipelined its next request, which is then lost, so the answer closes the connection (a pipelining
 * client sends unanswered requests again, RFC 9112 §9.3.2). Owns no thread: {@code onGone} runs on a Jetty
 * selector thread and must be quick.
 */
final class HangUpWatch implements Callback {
    private static final int WATCHING = 0;
    private static final int STOPPED = 1;
    private static final int FIRED = 2;

    private final EndPoint endPoint;
    private final Runnable onGone;
    private final AtomicInteger state = new AtomicInteger(WATCHING);
    private volatile boolean pipelined;

    private HangUpWatch(EndPoint endPoint, Runnable onGone) {
        this.endPoint = endPoint;
        this.onGone = onGone;
    }

    /** Calls {@code onGone} if the client hangs up before {@link #stop()}. */
    static HangUpWatch start(Request request, Runnable onGone) {
        HangUpWatch watch = new HangUpWatch(request.getConnectionMetaData().getConnection().getEndPoint(), onGone);
        watch.register();
        return watch;
    }

    private void register() {
        // Nobody else reads the connection while its request is being handled and its body has been read.
        if (!endPoint.tryFillInterested(this)) {
            state.set(STOPPED);
        } else if (state.get() == STOPPED) {
            cancelInterest();
        }
    }

    /** Stops watching; the connection must not stay fill-interested, or Jetty could not read the next request. */
    void stop() {
        if (state.compareAndSet(WATCHING, STOPPED)) {
            cancelInterest();
        }
    }

    /** Whether the client sent bytes of another request meanwhile: the answer must then close the connection. */
    boolean pipelined() {
        return pipelined;
    }

    private void cancelInterest() {
        if (endPoint instanceof AbstractEndPoint e) {
            e.getFillInterest().onFail(new Stopped());
        }
    }

    /** The connection is readable: end of stream, a reset, or a pipelined request. */
    @Override
    public void succeeded() {
        if (!state.compareAndSet(WATCHING, FIRED)) {
            return;
        }
        int read;
        try {
            read = endPoint.fill(BufferUtil.allocate(1));
        } catch (IOException e) {
            read = -1;
        }
        if (read < 0) {
            onGone.run();
        } else if (read > 0) {
            pipelined = true;
        } else if (state.compareAndSet(FIRED, WATCHING)) {
            register();
        }
    }

    /** The connection failed or closed (or {@link #stop()} withdrew the interest, which is ignored). */
    @Override
    public void failed(Throwable x) {
        if (state.compareAndSet(WATCHING, FIRED)) {
            onGone.run();
        }
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }

    /** Withdraws the fill interest: one per stop, without a stack trace (cheap, and no Throwable shared by all). */
    private static final class Stopped extends CancellationException {
        Stopped() {
            super("watch stopped");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }
}
