package dev.shardgate.bench.support;

import java.util.Arrays;
import java.util.Locale;

/** Nearest-rank percentiles of durations in nanoseconds, shown in milliseconds. */
public final class Percentiles {
    private final long[] sorted;

    public Percentiles(long[] nanos) {
        if (nanos.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        sorted = nanos.clone();
        Arrays.sort(sorted);
    }

    public int count() {
        return sorted.length;
    }

    /** The {@code p}-th percentile (0 < p ≤ 100) in nanoseconds. */
    public long nanos(double p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    public double millis(double p) {
        return nanos(p) / 1e6;
    }

    public double maxMillis() {
        return sorted[sorted.length - 1] / 1e6;
    }

    /** {@code p50 / p99 / max} in milliseconds. */
    public String summary() {
        return String.format(Locale.ROOT, "%s / %s / %s ms", ms(millis(50)), ms(millis(99)), ms(maxMillis()));
    }

    /** Milliseconds with as many decimals as a sub-millisecond figure needs. */
    public static String ms(double millis) {
        return String.format(Locale.ROOT, Math.abs(millis) < 10 ? "%.2f" : "%.1f", millis);
    }
}
