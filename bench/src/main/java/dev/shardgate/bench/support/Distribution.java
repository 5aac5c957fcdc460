package dev.shardgate.bench.support;

import java.util.Arrays;
import java.util.Locale;

/** Order statistics of a set of durations in nanoseconds, quoted in milliseconds. Immutable. */
public final class Distribution {
    private final long[] sorted;

    public Distribution(long[] nanos) {
        this.sorted = nanos.clone();
        Arrays.sort(sorted);
    }

    public int count() {
        return sorted.length;
    }

    /** The {@code p}-th percentile (nearest rank), in ms; NaN when empty. */
    public double percentileMillis(double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.clamp(rank - 1, 0, sorted.length - 1)] / 1e6;
    }

    public double p50() {
        return percentileMillis(50);
    }

    public double p99() {
        return percentileMillis(99);
    }

    public double maxMillis() {
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6;
    }

    /** {@code p50 / p99 / max ms}. */
    public String p50p99max() {
        return String.format(Locale.ROOT, "%s / %s / %s ms", ms(p50()), ms(p99()), ms(maxMillis()));
    }

    /** Milliseconds with two significant decimals below 10 ms, whole above. */
    public static String ms(double millis) {
        if (Double.isNaN(millis)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, millis < 10 ? "%.2f" : "%,.0f", millis);
    }
}
