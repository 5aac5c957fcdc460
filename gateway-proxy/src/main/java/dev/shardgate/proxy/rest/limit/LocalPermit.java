package dev.shardgate.proxy.rest.limit;

import java.util.concurrent.atomic.AtomicBoolean;

/** A permit of this process's {@link Limiter}; its end is handed to the limiter thread. */
final class LocalPermit implements Permit {
    private final Limiter limiter;
    final Waiter waiter;
    private final long waitedNanos;
    private final AtomicBoolean ended = new AtomicBoolean();

    LocalPermit(Limiter limiter, Waiter waiter, long waitedNanos) {
        this.limiter = limiter;
        this.waiter = waiter;
        this.waitedNanos = waitedNanos;
    }

    @Override
    public long waitedNanos() {
        return waitedNanos;
    }

    @Override
    public void sent() {
        waiter.sentAt = System.nanoTime();
    }

    @Override
    public void complete(Answer answer) {
        end(answer, Limiter.End.ANSWERED);
    }

    @Override
    public void unsent() {
        end(null, Limiter.End.UNSENT);
    }

    @Override
    public void lost() {
        end(null, Limiter.End.LOST);
    }

    private void end(Answer answer, Limiter.End end) {
        if (ended.compareAndSet(false, true)) {
            limiter.onEnd(this, answer, end);
        }
    }
}
