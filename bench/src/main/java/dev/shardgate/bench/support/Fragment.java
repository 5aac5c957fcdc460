package dev.shardgate.bench.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One benchmark's section of {@code docs/benchmarks.md} (the fragment contract): a {@code ## title}, what is measured
 * and how, the table {@code | figure | measured | goal or peer | verdict |}, then one line per missed goal saying
 * what limits the figure. Built by one thread.
 */
public final class Fragment {
    /** The verdict of a figure that has no goal, only information or a peer to read it against. */
    public static final String INFO = "—";

    private final String title;
    private final StringBuilder description = new StringBuilder();
    private final List<String> rows = new ArrayList<>();
    private final List<String> limits = new ArrayList<>();
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
     * A figure against a goal; when it misses, {@code limitedBy} is printed under the table as what limits it.
     */
    public Fragment goal(String figure, String measured, String goal, boolean meets, String limitedBy) {
        row(figure, measured, goal, meets ? "meets" : "misses");
        if (!meets) {
            limits.add("- **" + figure + "** misses its goal: " + limitedBy);
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
            limits.forEach(l -> md.append(l).append('\n'));
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
