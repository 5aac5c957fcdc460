package dev.shardgate.bench.gateway;

import dev.shardgate.bench.support.BenchMain;
import dev.shardgate.bench.support.BenchOptions;
import dev.shardgate.bench.support.Distribution;
import dev.shardgate.bench.support.Fragment;
import dev.shardgate.bench.support.ProcessStats;
import dev.shardgate.proxy.config.Compression;
import dev.shardgate.proxy.gateway.inflate.CorruptStreamException;
import dev.shardgate.proxy.gateway.inflate.TransportDecompressor;
import dev.shardgate.simulator.events.EventFactory;
import dev.shardgate.simulator.events.SimEvent;
import dev.shardgate.simulator.gateway.TransportEncoder;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Gateway transport compression, {@code zlib-stream} against {@code zstd-stream}, on one realistic event mix: the
 * simulator's {@link EventFactory} (messages, interactions, typing, reactions, presences, member joins over 50
 * guilds), compressed by the simulator's encoders the way Discord does (one stream per connection, flushed after
 * every payload). Measures the bytes on the wire, the proxy's decompressors on this thread (CPU per event, median
 * of passes, with the p99 and max of single messages; heap allocated per frame, over all passes) and what one decompressor holds
 * per connection at rest: its heap buffers, and the resident memory that {@value #RESTING} decompressors added to
 * this process after decompressing the stream (heap plus native state such as zstd's window).
 *
 * <p>Usage: {@code java -cp bench/target/bench.jar dev.shardgate.bench.gateway.CompressionBench [--out file.md]
 * [--smoke]}. Single-threaded apart from the JVM's own threads.
 */
public final class CompressionBench {
    private static final int RESTING = 200;
    /** Uncompressed bytes each resting decompressor takes: more than zstd's 2 MB window, so all of it is touched. */
    private static final int RESTING_STREAM_BYTES = 3 << 20;
    /** What the proxy held per shard for zlib-stream before its buffers grew on demand (64 KB + 64 KB). */
    private static final int HEAP_BEFORE = 128 * 1024;
    /** Below this the allocation counter sees only noise (JIT, the counter itself), not a buffer per frame. */
    private static final int NO_ALLOCATION = 8;
    /** Where results go so that the JIT cannot drop the work. */
    static volatile long sink;

    private record Size(int events, int passes, int warmups) {
    }

    private record Result(Compression mode, long plainBytes, long wireBytes, int events, double nsPerEvent,
                          Distribution singleMessage, double allocatedPerFrame, int heapAtRest,
                          double rssPerConnection, String window) {
    }

    private CompressionBench() {
    }

    public static void main(String[] args) {
        BenchMain.run(CompressionBench.class, args, CompressionBench::measure);
    }

    private static Fragment measure(BenchOptions options) throws Exception {
        Size size = options.smoke() ? new Size(2_000, 3, 1) : new Size(20_000, 9, 3);
        List<byte[]> payloads = eventMix(size.events());
        List<byte[]> restingPayloads = new ArrayList<>();
        for (long bytes = 0; bytes < RESTING_STREAM_BYTES; bytes += restingPayloads.getLast().length) {
            restingPayloads.addAll(eventMix(1));
        }
        List<Result> results = new ArrayList<>();
        for (Compression mode : new Compression[] {Compression.ZLIB_STREAM, Compression.ZSTD_STREAM}) {
            results.add(measure(mode, payloads, restingPayloads, size));
        }
        return fragment(results, size, options.smoke());
    }

    /** Dispatch payloads as Discord frames them, {@code d} from the simulator's event mix. */
    private static List<byte[]> eventMix(int count) {
        EventFactory events = new EventFactory(Clock.systemUTC());
        List<byte[]> payloads = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            SimEvent e = events.randomEvent(820674996354555911L + (i % 50) * 4_194_304L);
            payloads.add(("{\"t\":\"" + e.type() + "\",\"s\":" + (i + 2) + ",\"op\":0,\"d\":"
                    + new String(e.d(), StandardCharsets.UTF_8) + "}").getBytes(StandardCharsets.UTF_8));
        }
        return payloads;
    }

    private static List<byte[]> encode(Compression mode, List<byte[]> payloads) {
        List<byte[]> messages = new ArrayList<>(payloads.size());
        try (TransportEncoder encoder = TransportEncoder.forCompress(mode.wireName(), 0)) {
            for (byte[] p : payloads) {
                messages.addAll(encoder.encode(p));
            }
        }
        return messages;
    }

    @SuppressWarnings("NonAtomicVolatileUpdate") // sink is a blackhole written by this one thread
    private static Result measure(Compression mode, List<byte[]> payloads, List<byte[]> restingPayloads, Size size)
            throws Exception {
        List<byte[]> messages = encode(mode, payloads);
        long plain = payloads.stream().mapToLong(p -> p.length).sum();
        long wire = messages.stream().mapToLong(m -> m.length).sum();

        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        long[] passNanos = new long[size.passes()];
        long allocatedBytes = 0;
        int heapAtRest = 0;
        for (int pass = 0; pass < size.warmups() + size.passes(); pass++) {
            ByteBuffer[] wrapped = wrap(messages);
            try (TransportDecompressor d = mode.newDecompressor(64 << 20)) {
                long checksum = 0;
                long allocatedBefore = threads.getThreadAllocatedBytes(thread);
                long start = System.nanoTime();
                for (ByteBuffer m : wrapped) {
                    checksum += d.accept(m);
                    d.payloadTaken(); // as the proxy's FrameDecoder does once it copied the payload
                }
                long elapsed = System.nanoTime() - start;
                long bytes = threads.getThreadAllocatedBytes(thread) - allocatedBefore;
                sink = checksum;
                if (pass >= size.warmups()) {
                    passNanos[pass - size.warmups()] = elapsed;
                    allocatedBytes += bytes;
                    heapAtRest = d.heapBufferBytes();
                }
            }
        }
        // Single messages are timed in passes of their own, so that the clock reads do not weigh on the median.
        long[] single = new long[messages.size() * size.passes()];
        for (int pass = 0; pass < size.passes(); pass++) {
            ByteBuffer[] wrapped = wrap(messages);
            try (TransportDecompressor d = mode.newDecompressor(64 << 20)) {
                for (int i = 0; i < wrapped.length; i++) {
                    long t0 = System.nanoTime();
                    sink += d.accept(wrapped[i]);
                    d.payloadTaken();
                    single[pass * wrapped.length + i] = System.nanoTime() - t0;
                }
            }
        }
        return new Result(mode, plain, wire, payloads.size(),
                nanos(new Distribution(passNanos).p50()) / payloads.size(), new Distribution(single),
                (double) allocatedBytes / ((long) messages.size() * size.passes()), heapAtRest,
                rssPerRestingConnection(mode, encode(mode, restingPayloads)),
                mode == Compression.ZSTD_STREAM ? zstdWindow(messages.get(0)) : "32 KB (deflate)");
    }

    private static ByteBuffer[] wrap(List<byte[]> messages) {
        return messages.stream().map(ByteBuffer::wrap).toArray(ByteBuffer[]::new);
    }

    /**
     * Resident memory per connection: {@value #RESTING} decompressors each take a stream of 3 MB (so zstd has
     * written through all of its window), and the process's resident set is read before and after. Nothing else is
     * allocated meanwhile (the messages are wrapped once and rewound), so the heap does not grow for other reasons,
     * and there is no GC in between, which might hand heap back to the OS and hide the figure.
     */
    @SuppressWarnings("NonAtomicVolatileUpdate") // sink is a blackhole written by this one thread
    private static double rssPerRestingConnection(Compression mode, List<byte[]> messages)
            throws CorruptStreamException {
        List<TransportDecompressor> resting = new ArrayList<>(RESTING);
        ByteBuffer[] wrapped = wrap(messages);
        try {
            long before = residentBytes();
            for (int c = 0; c < RESTING; c++) {
                TransportDecompressor d = mode.newDecompressor(64 << 20);
                resting.add(d);
                for (ByteBuffer m : wrapped) {
                    sink += d.accept(m.rewind());
                    d.payloadTaken();
                }
            }
            return (double) (residentBytes() - before) / RESTING;
        } finally {
            resting.forEach(TransportDecompressor::close);
        }
    }

    private static long residentBytes() {
        return ProcessStats.of(ProcessHandle.current().pid()).rssBytes();
    }

    /** The window the stream's frame header declares (RFC 8878 §3.1.1.1.2), which each decompressor allocates. */
    private static String zstdWindow(byte[] first) {
        int descriptor = first[4] & 0xFF;
        if ((descriptor & 0x20) != 0) {
            return "single segment (frame content size)";
        }
        int w = first[5] & 0xFF;
        long base = 1L << (10 + (w >>> 3));
        return ((base + base / 8 * (w & 7)) >> 10) + " KB";
    }

    /** Nanoseconds from the milliseconds {@link Distribution} quotes. */
    private static double nanos(double millis) {
        return millis * 1e6;
    }

    private static Fragment fragment(List<Result> results, Size size, boolean smoke) {
        Result zlib = results.get(0);
        Fragment f = new Fragment("Gateway transport compression: zlib-stream and zstd-stream"
                + (smoke ? " (smoke)" : ""));
        f.describe(String.format(Locale.ROOT, "The same %,d dispatches of the simulator's event mix (%,d bytes on "
                + "average) compressed by the simulator's encoders as Discord sends them, then decompressed by the "
                + "proxy's decompressors on one thread: CPU per event is the median of %d passes (p99 and max of "
                + "single messages over all passes), allocation from the thread's allocation counter over all passes; "
                + "memory at rest is one decompressor's heap buffers after the stream, and the resident memory %d "
                + "decompressors added to the process after each took 3 MB of the mix (%d cores, Java %s). The "
                + "simulator compresses zstd at level 3.", zlib.events(), zlib.plainBytes() / zlib.events(),
                size.passes(), RESTING, Runtime.getRuntime().availableProcessors(), Runtime.version().feature()));
        for (Result r : results) {
            String name = r.mode().wireName();
            boolean isZstd = r.mode() != zlib.mode();
            f.info(name + ": bytes on the wire per event", String.format(Locale.ROOT, "%.0f B", perEvent(r)),
                    isZstd ? String.format(Locale.ROOT, "zlib-stream: %.0f B", perEvent(zlib)) : Fragment.INFO);
            f.info(name + ": bytes on the wire per 1,000 events",
                    String.format(Locale.ROOT, "%,.0f KB", perEvent(r) * 1000 / 1024), Fragment.INFO);
            f.info(name + ": compression ratio (uncompressed / wire)", String.format(Locale.ROOT, "%.2f", ratio(r)),
                    isZstd ? String.format(Locale.ROOT, "zlib-stream: %.2f", ratio(zlib)) : Fragment.INFO);
            f.info(name + ": decompression CPU per event (median; p99, max of one message)",
                    String.format(Locale.ROOT, "%,.0f ns; %,.0f ns, %,.0f ns", r.nsPerEvent(),
                            nanos(r.singleMessage().p99()), nanos(r.singleMessage().maxMillis())),
                    isZstd ? String.format(Locale.ROOT, "zlib-stream: %,.0f ns", zlib.nsPerEvent()) : Fragment.INFO);
            f.goal(name + ": heap allocated per frame", String.format(Locale.ROOT, "%,.1f B", r.allocatedPerFrame()),
                    "no allocation per frame (< " + NO_ALLOCATION + " B)", r.allocatedPerFrame() < NO_ALLOCATION,
                    String.format(Locale.ROOT, "%s allocates %.0f B per frame: look for a buffer or wrapper made "
                            + "per message in its decompressor.", name, r.allocatedPerFrame()));
            f.goal(name + ": heap buffers per connection at rest", String.format(Locale.ROOT, "%,d B", r.heapAtRest()),
                    String.format(Locale.ROOT, "< %,d B (zlib-stream's buffers before)", HEAP_BEFORE),
                    r.heapAtRest() < HEAP_BEFORE, String.format(Locale.ROOT, "%s keeps %,d B of heap buffers after "
                            + "the stream; the figure is its decompressor's buffer sizing.", name,
                            r.heapAtRest()));
            f.info(name + ": resident memory per connection at rest (heap + native; window " + r.window() + ")",
                    String.format(Locale.ROOT, "%,.0f KB", r.rssPerConnection() / 1024), Fragment.INFO);
        }
        return f;
    }

    private static double perEvent(Result r) {
        return (double) r.wireBytes() / r.events();
    }

    private static double ratio(Result r) {
        return (double) r.plainBytes() / r.wireBytes();
    }
}
