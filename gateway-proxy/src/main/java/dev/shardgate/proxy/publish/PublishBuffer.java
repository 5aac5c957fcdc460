package dev.shardgate.proxy.publish;

import java.util.HashMap;
import java.util.Map;
import java.util.Map.Entry;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the publisher holds: every event from the moment a shard hands it over until it is settled, bounded in
 * events and in body bytes, with each shard's unsettled sequences kept apart so {@link #safeSeq} is a lookup, not a
 * scan. An event is settled when JetStream stored it, when it was dead-lettered (or given up after the dead letter
 * failed for good too), or when the fence dropped it.
 *
 * <p>Thread-safe: shard threads {@link #admit}, the publisher's threads and jnats' threads {@link #settle}, the
 * gateway reads {@link #safeSeq} and metrics read the totals. Each shard's ledger has its own lock, so shards never
 * contend with each other.
 */
final class PublishBuffer {
    private final int maxEvents;
    private final long maxBytes;
    private final AtomicInteger events = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong lastOrder = new AtomicLong();
    /** Oldest first: the summary during an outage says how old the oldest is. */
    private final ConcurrentSkipListMap<Long, BufferedEvent> byOrder = new ConcurrentSkipListMap<>();
    private final Map<Integer, ShardLedger> ledgers = new ConcurrentHashMap<>();

    PublishBuffer(int maxEvents, long maxBytes) {
        this.maxEvents = maxEvents;
        this.maxBytes = maxBytes;
    }

    /**
     * Takes an event unless either bound is reached. A single event bigger than the whole byte bound is still taken
     * when the buffer is under it, or that event could never be accepted and its shard would resume forever; so the
     * buffer can overshoot the byte bound by one event per shard offering at that instant.
     *
     * @return the buffered event, or null when the buffer is full
     */
    BufferedEvent admit(int shard, String sessionId, long seq, String type, byte[] data, long nowMillis) {
        if (events.get() >= maxEvents || bytes.get() >= maxBytes) {
            return null;
        }
        BufferedEvent e = new BufferedEvent(lastOrder.incrementAndGet(), shard, sessionId, seq, type, data, nowMillis);
        events.incrementAndGet();
        bytes.addAndGet(data.length);
        byOrder.put(e.order, e);
        ledgers.computeIfAbsent(shard, s -> new ShardLedger()).add(sessionId, seq);
        return e;
    }

    /** Forgets a settled event; settling an event twice changes nothing. */
    void settle(BufferedEvent e) {
        if (byOrder.remove(e.order) == null) {
            return;
        }
        ledgers.get(e.shard).remove(e.sessionId, e.seq);
        bytes.addAndGet(-e.data.length);
        events.decrementAndGet();
    }

    /** Whether a shard that stopped because the buffer was full may read again: both totals at most half. */
    boolean hasRoom() {
        return events.get() <= maxEvents / 2 && bytes.get() <= maxBytes / 2;
    }

    int events() {
        return events.get();
    }

    int maxEvents() {
        return maxEvents;
    }

    long maxBytes() {
        return maxBytes;
    }

    long bytes() {
        return bytes.get();
    }

    /** When the oldest unsettled event was offered (epoch millis), if any. */
    OptionalLong oldestOfferedAtMillis() {
        Entry<Long, BufferedEvent> oldest = byOrder.firstEntry();
        return oldest == null ? OptionalLong.empty() : OptionalLong.of(oldest.getValue().offeredAtMillis);
    }

    /** See {@link EventPublisher#safeSeq}. O(log n) in the shard's unsettled events of that session. */
    long safeSeq(int shard, String sessionId, long lastSeq) {
        ShardLedger ledger = ledgers.get(shard);
        return ledger == null ? lastSeq : ledger.safeSeq(sessionId, lastSeq);
    }

    /**
     * One shard's unsettled sequences per session (a shard's old session can still have events buffered when its
     * next one starts), each a count per sequence so a sequence offered twice is settled only when both are.
     */
    private static final class ShardLedger {
        private final Map<String, TreeMap<Long, Integer>> bySession = new HashMap<>();

        synchronized void add(String sessionId, long seq) {
            bySession.computeIfAbsent(sessionId, s -> new TreeMap<>()).merge(seq, 1, Integer::sum);
        }

        synchronized void remove(String sessionId, long seq) {
            TreeMap<Long, Integer> seqs = bySession.get(sessionId);
            seqs.computeIfPresent(seq, (s, n) -> n == 1 ? null : n - 1);
            if (seqs.isEmpty()) {
                bySession.remove(sessionId);
            }
        }

        synchronized long safeSeq(String sessionId, long lastSeq) {
            TreeMap<Long, Integer> seqs = bySession.get(sessionId);
            return seqs == null ? lastSeq : Math.min(lastSeq, seqs.firstKey() - 1);
        }
    }
}
