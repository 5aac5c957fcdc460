package dev.shardgate.proxy.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The status page: one HTML file with its CSS and script inline (users run the proxy in closed networks, so
 * nothing may come from elsewhere), read from the jar once, and the Content-Security-Policy that lets it do exactly
 * what it does: its own inline style and script, identified by their SHA-256 hashes (no {@code 'unsafe-inline'}),
 * requests to this server only, no frames, forms or plugins.
 */
final class StatusPage {
    static final String RESOURCE = "status.html";
    private static final Pattern STYLE = Pattern.compile("<style>(.*?)</style>", Pattern.DOTALL);
    private static final Pattern SCRIPT = Pattern.compile("<script>(.*?)</script>", Pattern.DOTALL);

    private final String html;
    private final String policy;

    private StatusPage(String html, String policy) {
        this.html = html;
        this.policy = policy;
    }

    /** Reads the page from the jar; fails at start-up, not at the first visit, when it is missing or malformed. */
    static StatusPage load() {
        String html;
        try (InputStream in = StatusPage.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the jar");
            }
            html = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String policy = "default-src 'none'; connect-src 'self'; img-src data:; style-src " + hash(STYLE, html)
                + "; script-src " + hash(SCRIPT, html) + "; base-uri 'none'; form-action 'none'; "
                + "frame-ancestors 'none'";
        return new StatusPage(html, policy);
    }

    String html() {
        return html;
    }

    String contentSecurityPolicy() {
        return policy;
    }

    /** {@code 'sha256-…'} of the one element's content, as CSP level 2 hashes it (the exact text between the tags). */
    private static String hash(Pattern element, String html) {
        Matcher m = element.matcher(html);
        if (!m.find()) {
            throw new IllegalStateException(RESOURCE + " lacks its " + element.pattern());
        }
        String content = m.group(1);
        if (m.find()) {
            throw new IllegalStateException(RESOURCE + " must have one " + element.pattern() + " only");
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8));
            return "'sha256-" + Base64.getEncoder().encodeToString(digest) + "'";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
