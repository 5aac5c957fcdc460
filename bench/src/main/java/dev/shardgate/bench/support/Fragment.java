package dev.shardgate.bench.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * A benchmark's result as the markdown fragment HELPERS.md describes: a heading, what was measured and how, the
 * table {@code | figure | measured | goal or peer | verdict |}, then what limits every missed figure and any notes.
 */
public final class Fragment {
    /** A figure's verdict: whether it meets its goal, or {@code —} when it is information only. */
    public enum Verdict {
        MEETS("meets"), MISSES("misses"), INFO("—");

        private final String text;

        Verdict(String text) {
            this.text = text;
        }

        public static Verdict of(boolean met) {
            return met ? MEETS : MISSES;
        }
    }

    private final String title;
    private final String description;
    private final List<String> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private boolean missed;

    public Fragment(String title, String description) {
        this.title = title;
        this.description = description;
    }

    public Fragment row(String figure, String measured, String goal, Verdict verdict) {
        rows.add("| " + figure + " | " + measured + " | " + goal + " | " + verdict.text + " |");
        missed |= verdict == Verdict.MISSES;
        return this;
    }

    /** A line under the table: what limits a missed figure, or how to read the table. */
    public Fragment note(String line) {
        notes.add(line);
        return this;
    }

    public boolean missed() {
        return missed;
    }

    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("## ").append(title).append("\n\n").append(description).append("\n\n");
        sb.append("| figure | measured | goal or peer | verdict |\n|---|---:|---|---|\n");
        rows.forEach(r -> sb.append(r).append('\n'));
        if (!notes.isEmpty()) {
            sb.append('\n');
            notes.forEach(n -> sb.append(n).append("\n\n"));
        }
        return sb.toString().stripTrailing() + "\n";
    }

    /** Writes the fragment to {@code --out}, or prints it. */
    public void write(BenchOptions options) throws IOException {
        if (options.out().isPresent()) {
            Files.writeString(options.out().get(), markdown(), StandardCharsets.UTF_8);
            System.out.println("wrote " + options.out().get());
        } else {
            System.out.print(markdown());
        }
    }
}
