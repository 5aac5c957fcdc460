package dev.shardgate.bench.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One benchmark's section of {@code docs/benchmarks.md} (the fragment contract): a {@code ## title}, what is measured
 * and how, the table {@code | figure | measured | goal or peer | verdict |}, then one line per missed goal saying
 * what limits the figure (one line for figures missed for the same reason). Built by one thread.
 */
public final class Fragment {
    /** The verdict of a figure that has no goal, only information or a peer to read it against. */
    public static final String INFO = "—";

    private final String title;
    private final StringBuilder description = new StringBuilder();
    private final List<String> rows = new ArrayList<>();
    /** What limits a missed figure, to the figures it limits, in the order first given. */
    private final Map<String, List<String>> limits = new LinkedHashMap<>();
    private final List<String> notes = new ArrayList<>();

    public Fragment(String title) {
        this.title = title;
    }

    /** Adds a paragraph of the text under the heading. */
    public Fragment describe(String text) {
        if (!description.isEmpty()) {
            description.append("\n\n");
        }
        description.append(text);
        return this;
    }

    /** A figure without a goal. */
    public Fragment info(String figure, String measured, String peer) {
        return row(figure, measured, peer, INFO);
    }

    /**
     * A figure against a goal; when it misses, {@code limitedBy} is printed under the table as what limits it,
     * once for all the missed figures given the same text.
     */
    public Fragment goal(String figure, String measured, String goal, boolean meets, String limitedBy) {
        row(figure, measured, goal, meets ? "meets" : "misses");
        if (!meets) {
            limits.computeIfAbsent(limitedBy, k -> new ArrayList<>()).add("**" + figure + "**");
        }
        return this;
    }

    /** A line after the table that is not about a missed goal (e.g. a caveat on the machine). */
    public Fragment note(String text) {
        notes.add(text);
        return this;
    }

    private Fragment row(String figure, String measured, String goalOrPeer, String verdict) {
        rows.add("| " + figure + " | " + measured + " | " + goalOrPeer + " | " + verdict + " |");
        return this;
    }

    public String markdown() {
        StringBuilder md = new StringBuilder("## ").append(title).append("\n\n");
        if (!description.isEmpty()) {
            md.append(description).append("\n\n");
        }
        md.append("| figure | measured | goal or peer | verdict |\n|---|---|---|---|\n");
        rows.forEach(r -> md.append(r).append('\n'));
        if (!limits.isEmpty()) {
            md.append('\n');
            limits.forEach((limitedBy, figures) -> md.append("- ").append(String.join(", ", figures))
                    .append(figures.size() == 1 ? " misses its goal: " : " miss their goals: ").append(limitedBy)
                    .append('\n'));
        }
        if (!notes.isEmpty()) {
            md.append('\n');
            notes.forEach(n -> md.append(n).append("\n\n"));
        }
        return md.toString().stripTrailing() + "\n";
    }

    /** Writes the fragment to {@code out}, or to stdout when {@code out} is null. */
    public void write(Path out) throws IOException {
        if (out == null) {
            System.out.print(markdown());
            return;
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(out, markdown());
        System.err.println("wrote " + out);
    }
}
