package dev.shardgate.simulator.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * What the simulated gateway did, for tests and the control API. Written only by the gateway loop thread,
 * read by any thread without waiting (concurrent collections). The dispatch ledger and the command log keep
 * the newest {@code capacity} entries so a long benchmark cannot exhaust the heap; {@link #ledgerDropped()}
 * says how many were discarded.
 */
final class GatewayRecorder {
    private final ConcurrentLinkedQueue<IdentifyRecord> identifies = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<ResumeRecord> resumes = new ConcurrentLinkedQueue<>();
    private final BoundedLog<CommandRecord> commands;
    private final BoundedLog<DispatchRecord> ledger;
    private final ConcurrentHashMap<Integer, AtomicLong> closesSent = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, AtomicLong> connectionsByCompress = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Integer, AtomicLong> closesReceived = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Session> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final ShardConnections shardConnections = new ShardConnections();
    private final AtomicLong dispatchesSent = new AtomicLong();
    private final ConcurrentHashMap<String, AtomicLong> transitions = new ConcurrentHashMap<>();
    private volatile boolean tokenReset;

    GatewayRecorder(int capacity) {
        this.commands = new BoundedLog<>(capacity);
        this.ledger = new BoundedLog<>(capacity);
    }

    void identify(IdentifyRecord r) {
        identifies.add(r);
    }

    void resume(ResumeRecord r) {
        resumes.add(r);
    }

    void command(CommandRecord r) {
        commands.add(r);
    }

    void dispatch(DispatchRecord r) {
        ledger.add(r);
    }

    void dispatchSent() {
        dispatchesSent.incrementAndGet();
    }

    void closeReceived(int code) {
        closesReceived.computeIfAbsent(code, c -> new AtomicLong()).incrementAndGet();
    }

    void closeSent(int code) {
        closesSent.computeIfAbsent(code, c -> new AtomicLong()).incrementAndGet();
    }

    void session(Session s) {
        sessions.put(s.id(), s);
    }

    void connectionOpened(String compress) {
        connections.incrementAndGet();
        connectionsByCompress.computeIfAbsent(compress, c -> new AtomicLong()).incrementAndGet();
    }

    void connectionClosed() {
        connections.decrementAndGet();
    }

    /** Open connections per shard and their peaks. */
    ShardConnections shardConnections() {
        return shardConnections;
    }

    /** Counts a state change, e.g. {@code session ACTIVE->DISCONNECTED}. */
    void transition(String what, Object from, Object to) {
        transitions.computeIfAbsent(what + " " + from + "->" + to, k -> new AtomicLong()).incrementAndGet();
    }

    Map<String, Long> transitions() {
        Map<String, Long> out = new TreeMap<>();
        transitions.forEach((k, n) -> out.put(k, n.get()));
        return out;
    }

    void tokenWasReset() {
        tokenReset = true;
    }

    List<IdentifyRecord> identifies() {
        return List.copyOf(identifies);
    }

    List<ResumeRecord> resumes() {
        return List.copyOf(resumes);
    }

    List<CommandRecord> commands(Predicate<CommandRecord> filter) {
        return commands.snapshot(filter);
    }

    List<DispatchRecord> ledger(Predicate<DispatchRecord> filter) {
        return ledger.snapshot(filter);
    }

    long ledgerDropped() {
        return ledger.dropped();
    }

    long dispatchesSent() {
        return dispatchesSent.get();
    }

    Map<Integer, Long> closesSent() {
        return counts(closesSent);
    }

    Map<Integer, Long> closesReceived() {
        return counts(closesReceived);
    }

    Map<String, Long> connectionsByCompress() {
        return counts(connectionsByCompress);
    }

    private static <K> Map<K, Long> counts(ConcurrentHashMap<K, AtomicLong> byCode) {
        Map<K, Long> out = new TreeMap<>();
        byCode.forEach((code, n) -> out.put(code, n.get()));
        return out;
    }

    List<SessionView> sessions(Predicate<SessionView> filter) {
        List<SessionView> out = new ArrayList<>();
        for (Session s : sessions.values()) {
            SessionView v = s.view();
            if (filter.test(v)) {
                out.add(v);
            }
        }
        return out;
    }

    int connections() {
        return connections.get();
    }

    boolean tokenReset() {
        return tokenReset;
    }

    /** An append-only log that forgets its oldest entries past a capacity. Single writer, many readers. */
    private static final class BoundedLog<T> {
        private final int capacity;
        private final ConcurrentLinkedQueue<T> entries = new ConcurrentLinkedQueue<>();
        private final AtomicInteger size = new AtomicInteger();
        private final AtomicLong dropped = new AtomicLong();

        BoundedLog(int capacity) {
            this.capacity = capacity;
        }

        void add(T entry) {
            entries.add(entry);
            if (size.incrementAndGet() > capacity) {
                entries.poll();
                size.decrementAndGet();
                dropped.incrementAndGet();
            }
        }

        List<T> snapshot(Predicate<T> filter) {
            List<T> out = new ArrayList<>();
            for (T e : entries) {
                if (filter.test(e)) {
                    out.add(e);
                }
            }
            return out;
        }

        long dropped() {
            return dropped.get();
        }
    }
}
