package dev.shardgate.bench.rest;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the REST proxy's CPU went, from a flight recording's execution samples ({@code jdk.ExecutionSample}) taken
 * between two instants: each sample goes to the part of the code its innermost recognised frame belongs to (the
 * JDK HttpClient, the JDK HttpServer, Shardgate's own code), else to "other". Used by the benchmark's main thread.
 */
final class CpuProfile {
    /** Package prefixes to the part they are counted as, innermost frame first. */
    private static final Map<String, String> PARTS = new LinkedHashMap<>();

    static {
        PARTS.put("jdk.internal.net.http.", "the JDK HttpClient");
        PARTS.put("sun.net.httpserver.", "the JDK HttpServer");
        PARTS.put("dev.shardgate.", "Shardgate's own code");
    }

    private static final String OTHER = "other (JDK scheduling, futures, the rest)";

    private CpuProfile() {
    }

    /** {@code 52 % the JDK HttpClient, 14 % …} of {@code n} samples, largest share first. */
    static String between(Path recording, Instant from, Instant to) throws IOException {
        List<RecordedEvent> samples = RecordingFile.readAllEvents(recording).stream()
                .filter(e -> e.getEventType().getName().equals("jdk.ExecutionSample"))
                .filter(e -> !e.getStartTime().isBefore(from) && !e.getStartTime().isAfter(to)).toList();
        if (samples.isEmpty()) {
            return "no execution samples in " + recording + " between " + from + " and " + to;
        }
        Map<String, Long> byPart = samples.stream().collect(Collectors.groupingBy(CpuProfile::part,
                Collectors.counting()));
        return byPart.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .map(e -> String.format(Locale.ROOT, "%.0f %% %s", 100.0 * e.getValue() / samples.size(), e.getKey()))
                .collect(Collectors.joining(", ")) + " (" + samples.size() + " samples)";
    }

    private static String part(RecordedEvent sample) {
        if (sample.getStackTrace() == null) {
            return OTHER;
        }
        for (RecordedFrame frame : sample.getStackTrace().getFrames()) {
            String type = frame.getMethod().getType().getName();
            for (Map.Entry<String, String> p : PARTS.entrySet()) {
                if (type.startsWith(p.getKey())) {
                    return p.getValue();
                }
            }
        }
        return OTHER;
    }
}
