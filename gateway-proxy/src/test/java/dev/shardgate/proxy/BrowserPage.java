package dev.shardgate.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One page in headless Chromium, driven through npm's {@code playwright-core} (pinned in
 * src/test/browser/package-lock.json; it uses the system's Chromium and downloads no browser) by
 * src/test/browser/driver.mjs: one JSON command per line on its stdin, one answer per line on its stdout. Needs node
 * and npm on the PATH, like {@code DiscordJsClientTest}; the first run installs the pinned package.
 */
final class BrowserPage implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SOURCE = Path.of("src/test/browser");
    private static final Path WORK = Path.of("target/status-page-browser");

    private final Process node;
    private final OutputStream commands;
    private final BufferedReader answers;
    private final Path log;

    private BrowserPage(Process node, Path log) {
        this.node = node;
        this.log = log;
        this.commands = node.getOutputStream();
        this.answers = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
    }

    static BrowserPage launch() throws Exception {
        Path chromium = Chromium.executable();
        installDriver();
        Path log = Files.createTempFile("status-page-driver", ".log");
        ProcessBuilder pb = new ProcessBuilder("node", "driver.mjs").directory(WORK.toFile())
                .redirectError(log.toFile());
        pb.environment().put("CHROMIUM", chromium.toString());
        BrowserPage page = new BrowserPage(pb.start(), log);
        page.call(Map.of("op", "problems")); // the first answer comes once the browser has started
        return page;
    }

    private static void installDriver() throws Exception {
        Files.createDirectories(WORK);
        for (String f : List.of("package.json", "package-lock.json", "driver.mjs")) {
            Files.copy(SOURCE.resolve(f), WORK.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        if (Files.isDirectory(WORK.resolve("node_modules/playwright-core"))) {
            return;
        }
        Path out = Files.createTempFile("npm-ci", ".log");
        try {
            Process npm = new ProcessBuilder("npm", "ci", "--prefer-offline", "--no-audit", "--no-fund")
                    .directory(WORK.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            boolean done = npm.waitFor(5, TimeUnit.MINUTES);
            if (!done || npm.exitValue() != 0) {
                npm.destroyForcibly();
                throw new IllegalStateException("npm ci of playwright-core failed:\n" + Files.readString(out));
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    void open(String url) throws IOException {
        call(Map.of("op", "goto", "url", url));
    }

    /** Evaluates a JavaScript expression in the page; a promise is awaited. */
    JsonNode eval(String js) throws IOException {
        return call(Map.of("op", "eval", "js", js));
    }

    String text(String selector) throws IOException {
        return eval("document.querySelector(" + JSON.writeValueAsString(selector) + ")?.textContent ?? null")
                .asText(null);
    }

    void hover(String selector) throws IOException {
        call(Map.of("op", "hover", "selector", selector));
    }

    void click(String selector) throws IOException {
        call(Map.of("op", "click", "selector", selector));
    }

    void screenshot(Path path) throws IOException {
        Files.createDirectories(path.toAbsolutePath().getParent());
        call(Map.of("op", "screenshot", "path", path.toAbsolutePath().toString()));
    }

    /** The errors and warnings the page logged (CSP violations, exceptions) since the last call. */
    List<String> problems() throws IOException {
        List<String> out = new ArrayList<>();
        call(Map.of("op", "problems")).forEach(p -> out.add(p.asText()));
        return out;
    }

    private synchronized JsonNode call(Map<String, String> command) throws IOException {
        ObjectNode c = JSON.valueToTree(command);
        commands.write((c + "\n").getBytes(StandardCharsets.UTF_8));
        commands.flush();
        String line = answers.readLine();
        if (line == null) {
            throw new IllegalStateException("the browser driver exited:\n" + Files.readString(log));
        }
        JsonNode answer = JSON.readTree(line);
        if (!answer.path("ok").asBoolean()) {
            throw new IllegalStateException(command.get("op") + " failed: " + answer.path("error").asText());
        }
        return answer.get("value");
    }

    @Override
    public void close() throws Exception {
        commands.close();
        if (!node.waitFor(10, TimeUnit.SECONDS)) {
            node.destroyForcibly();
        }
        Files.deleteIfExists(log);
    }
}
