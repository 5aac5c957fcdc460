package dev.shardgate.config;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The process's settings as one map: an optional properties file ({@code CONFIG_FILE}) overlaid by the
 * environment, which wins. Typed getters fail with a message that names the variable and what it wants.
 * Read once at start-up; the records built from it are what the rest of the process sees.
 */
public final class ConfigSource {
    private final Map<String, String> values;

    private ConfigSource(Map<String, String> values) {
        this.values = Map.copyOf(values);
    }

    public static ConfigSource of(Map<String, String> env) {
        Map<String, String> merged = new HashMap<>();
        String file = env.get("CONFIG_FILE");
        if (file != null && !file.isBlank()) {
            Properties props = new Properties();
            try (Reader r = Files.newBufferedReader(Path.of(file))) {
                props.load(r);
            } catch (IOException e) {
                throw new ConfigException("CONFIG_FILE " + file + " cannot be read: " + e.getMessage());
            }
            props.forEach((k, v) -> merged.put(k.toString().trim(), v.toString().trim()));
        }
        env.forEach((k, v) -> {
            if (v != null) {
                merged.put(k, v);
            }
        });
        return new ConfigSource(merged);
    }

    public Optional<String> get(String key) {
        String v = values.get(key);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    public String string(String key, String defaultValue) {
        return get(key).orElse(defaultValue);
    }

    /** A comma-separated list, blanks dropped; fails if it is empty. */
    public List<String> list(String key, String defaultValue) {
        List<String> items = Arrays.stream(string(key, defaultValue).split(","))
                .map(String::trim).filter(v -> !v.isEmpty()).toList();
        if (items.isEmpty()) {
            throw new ConfigException(key + " must list at least one value");
        }
        return items;
    }

    /** The keys that start with a prefix, for families of settings such as {@code WORKER_MAX_AGE_<TYPE>}. */
    public Set<String> keysStartingWith(String prefix) {
        return values.keySet().stream().filter(k -> k.startsWith(prefix)).collect(Collectors.toUnmodifiableSet());
    }

    public int integer(String key, int defaultValue, int min, int max) {
        return get(key).map(v -> {
            try {
                int n = Integer.parseInt(v);
                if (n < min || n > max) {
                    throw new ConfigException(key + " must be between " + min + " and " + max + ", got " + n);
                }
                return n;
            } catch (NumberFormatException e) {
                throw new ConfigException(key + " must be an integer, got '" + v + "'");
            }
        }).orElse(defaultValue);
    }

    /** A duration such as {@code 500ms}, {@code 10s}, {@code 5m}, {@code 24h}, or ISO-8601 ({@code PT10S}). */
    public Duration duration(String key, Duration defaultValue) {
        return get(key).map(v -> parseDuration(key, v)).orElse(defaultValue);
    }

    public boolean bool(String key, boolean defaultValue) {
        return get(key).map(v -> switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new ConfigException(key + " must be true or false, got '" + v + "'");
        }).orElse(defaultValue);
    }

    public URI uri(String key, String defaultValue, String... schemes) {
        String v = string(key, defaultValue);
        try {
            URI uri = new URI(v.endsWith("/") ? v.substring(0, v.length() - 1) : v);
            if (uri.getHost() == null || Arrays.stream(schemes).noneMatch(s -> s.equals(uri.getScheme()))) {
                throw new ConfigException(key + " must be an " + String.join(" or ", schemes) + " URL, got '" + v + "'");
            }
            return uri;
        } catch (java.net.URISyntaxException e) {
            throw new ConfigException(key + " is not a valid URL: '" + v + "'");
        }
    }

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
            long nanos = switch (v.substring(split).trim()) {
                case "ms" -> (long) (amount * 1e6);
                case "s", "" -> (long) (amount * 1e9);
                case "m" -> (long) (amount * 60e9);
                case "h" -> (long) (amount * 3600e9);
                case "d" -> (long) (amount * 86400e9);
                default -> throw new NumberFormatException();
            };
            return Duration.ofNanos(nanos);
        } catch (RuntimeException e) {
            throw new ConfigException(key + " must be a duration like 500ms, 10s, 5m or 24h, got '" + v + "'");
        }
    }
}
