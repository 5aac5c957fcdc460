package dev.shardgate.bench.rest;

import dev.shardgate.bench.support.Distribution;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Concurrent clients that each send the next request as soon as the last one is answered, over their own
 * keep-alive connection, for a fixed time: the rate a server sustains at that concurrency. Each client is a
 * virtual thread; requests go round a set of channels.
 */
final class ClosedLoopLoad {
    record Result(long requests, long failed, double seconds, Distribution latency) {
        double perSecond() {
            return requests / seconds;
        }
    }

    private ClosedLoopLoad() {
    }

    /**
     * @param authorization sent on every request, or null
     * @param paths what the clients GET, relative to {@code base}; client {@code i} starts at path {@code i}
     */
    static Result run(URI base, String authorization, List<String> paths, int clients, Duration duration)
            throws InterruptedException {
        AtomicLong failed = new AtomicLong();
        List<long[]> latencies = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        for (int c = 0; c < clients; c++) {
            long[][] mine = {new long[4096]};
            int first = c;
            int[] count = {0};
            threads.add(Thread.ofVirtual().start(() -> {
                try (KeepAliveConnection connection = new KeepAliveConnection(base, authorization)) {
                    for (int i = first; System.nanoTime() < end; i++) {
                        long t0 = System.nanoTime();
                        int status = connection.get(paths.get(i % paths.size()));
                        long took = System.nanoTime() - t0;
                        if (status != 200) {
                            failed.incrementAndGet();
                        }
                        if (count[0] == mine[0].length) {
                            mine[0] = Arrays.copyOf(mine[0], count[0] * 2);
                        }
                        mine[0][count[0]++] = took;
                    }
                } catch (IOException e) {
                    failed.incrementAndGet();
                    System.err.println("a client's connection failed: " + e);
                }
                synchronized (latencies) {
                    latencies.add(Arrays.copyOf(mine[0], count[0]));
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long[] all = latencies.stream().flatMapToLong(Arrays::stream).toArray();
        return new Result(all.length, failed.get(), seconds, new Distribution(all));
    }
}
