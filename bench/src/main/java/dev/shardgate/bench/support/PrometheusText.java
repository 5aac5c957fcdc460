package dev.shardgate.bench.support;

import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A snapshot of the proxy's {@code /metrics} (Prometheus text format), read sample by sample. Immutable; any thread.
 */
public record PrometheusText(String text) {

    /** The value of the first sample named exactly {@code name} whose labels contain {@code labels} ("" for any). */
    public OptionalDouble sample(String name, String labels) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)").matcher(text);
        while (m.find()) {
            if (labels.isEmpty() || (m.group(1) != null && m.group(1).contains(labels))) {
                return OptionalDouble.of(Double.parseDouble(m.group(2)));
            }
        }
        return OptionalDouble.empty();
    }

    /**
     * The mean of a timer or summary {@code name} (its {@code _sum} over its {@code _count}) over what it recorded
     * between {@code before} and this snapshot, in the metric's unit; NaN if it recorded nothing. Exact for that
     * phase, where the percentiles the proxy reports cover a sliding window.
     */
    public double meanSince(PrometheusText before, String name) {
        double count = require(name + "_count", "") - before.require(name + "_count", "");
        double sum = require(name + "_sum", "") - before.require(name + "_sum", "");
        return count > 0 ? sum / count : Double.NaN;
    }

    /** Like {@link #sample}, for a sample the benchmark cannot do without. */
    public double require(String name, String labels) {
        return sample(name, labels).orElseThrow(
                () -> new IllegalStateException("the proxy's metrics have no " + name + " " + labels));
    }
}
