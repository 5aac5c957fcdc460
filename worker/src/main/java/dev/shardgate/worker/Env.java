package dev.shardgate.worker;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Typed reads of environment variables; every failure names the variable and what it wants. */
final class Env {
    private final Map<String, String> values;

    Env(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    Map<String, String> all() {
        return values;
    }

    Optional<String> get(String key) {
        String v = values.get(key);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    String string(String key, String defaultValue) {
        return get(key).orElse(defaultValue);
    }

    int integer(String key, int defaultValue, int min, int max) {
        return get(key).map(v -> {
            int n;
            try {
                n = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new WorkerConfigException(key + " must be an integer, got '" + v + "'");
            }
            if (n < min || n > max) {
                throw new WorkerConfigException(key + " must be between " + min + " and " + max + ", got " + n);
            }
            return n;
        }).orElse(defaultValue);
    }

    boolean bool(String key, boolean defaultValue) {
        return get(key).map(v -> switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new WorkerConfigException(key + " must be true or false, got '" + v + "'");
        }).orElse(defaultValue);
    }

    Duration duration(String key, Duration defaultValue) {
        return get(key).map(v -> parseDuration(key, v)).orElse(defaultValue);
    }

    URI httpUrl(String key, String defaultValue) {
        String v = string(key, defaultValue);
        try {
            URI uri = new URI(v.endsWith("/") ? v.substring(0, v.length() - 1) : v);
            if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw new WorkerConfigException(key + " must be an http or https URL, got '" + v + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new WorkerConfigException(key + " is not a valid URL: '" + v + "'");
        }
    }

    /** {@code 500ms}, {@code 3s}, {@code 5m}, {@code 1h}, a bare number of seconds, or ISO-8601 ({@code PT3S}). */
    static Duration parseDuration(String key, String v) {
        try {
            if (v.startsWith("P") || v.startsWith("p")) {
                return Duration.parse(v);
            }
            int split = 0;
            while (split < v.length() && (Character.isDigit(v.charAt(split)) || v.charAt(split) == '.')) {
                split++;
            }
            double amount = Double.parseDouble(v.substring(0, split));
            double unitNanos = switch (v.substring(split).trim()) {
                case "ms" -> 1e6;
                case "s", "" -> 1e9;
                case "m" -> 60e9;
                case "h" -> 3600e9;
                default -> throw new NumberFormatException();
            };
            return Duration.ofNanos((long) (amount * unitNanos));
        } catch (RuntimeException e) {
            throw new WorkerConfigException(key + " must be a duration like 500ms, 3s, 5m or 1h, got '" + v + "'");
        }
    }
}
