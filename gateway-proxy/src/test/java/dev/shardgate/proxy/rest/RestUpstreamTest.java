package dev.shardgate.proxy.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxy's client towards an https API, as Discord's: HTTP/2 chosen by ALPN over TLS, names as received. */
@Tag("process")
class RestUpstreamTest {
    private static final String PASSWORD = "test-only-password";
    @TempDir
    Path dir;

    @Test
    void anHttpsApiIsSpokenToOverHttp2() throws Exception {
        Path keys = dir.resolve("upstream.p12");
        Path trust = dir.resolve("trust.p12");
        Path cert = dir.resolve("upstream.crt");
        keytool("-genkeypair", "-alias", "upstream", "-keyalg", "EC", "-groupname", "secp256r1", "-dname",
                "CN=127.0.0.1", "-ext", "san=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                keys.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD);
        keytool("-exportcert", "-alias", "upstream", "-keystore", keys.toString(), "-storepass", PASSWORD,
                "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "upstream", "-file", cert.toString(), "-storetype", "PKCS12",
                "-keystore", trust.toString(), "-storepass", PASSWORD);

        List<String> seen = new CopyOnWriteArrayList<>();
        Server upstream = http2Server(keys, (request, response, callback) -> {
            seen.add(request.getConnectionMetaData().getProtocol());
            request.getHeaders().forEach(f -> seen.add(f.getName() + ": " + f.getValue()));
            response.getHeaders().add("X-RateLimit-Bucket", "abc123");
            response.getHeaders().add("Content-Type", "application/json");
            Content.Sink.write(response, true, "{\"id\":\"1\"}", callback);
            return true;
        });
        Map<String, String> saved = trustOnly(trust);
        try {
            int port = ((ServerConnector) upstream.getConnectors()[0]).getLocalPort();
            try (ProxyUnderTest p = new ProxyUnderTest(URI.create("https://127.0.0.1:" + port + "/api/v10"), Map.of());
                    RawClient client = new RawClient(p.proxy.port())) {
                client.send("GET /api/v10/users/@me HTTP/1.1\r\nHost: x\r\nX-Audit-Log-Reason: why\r\n\r\n");
                String answer = client.readResponse();
                assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
                assertTrue(answer.contains("\r\nx-ratelimit-bucket: abc123\r\n"), "as received over HTTP/2: " + answer);
                assertTrue(answer.endsWith("{\"id\":\"1\"}"), answer);
            }
            assertEquals("HTTP/2.0", seen.getFirst(), seen.toString());
            assertTrue(seen.contains("x-audit-log-reason: why"), seen.toString());
            assertTrue(seen.stream().anyMatch(s -> s.startsWith("authorization: Bot ")), seen.toString());
        } finally {
            saved.forEach((k, v) -> {
                if (v == null) {
                    System.clearProperty(k);
                } else {
                    System.setProperty(k, v);
                }
            });
            upstream.stop();
        }
    }

    /** Makes the JVM's default trust store the given one for this test (the proxy trusts the default). */
    private static Map<String, String> trustOnly(Path trust) {
        Map<String, String> saved = new java.util.HashMap<>();
        Map<String, String> set = Map.of("javax.net.ssl.trustStore", trust.toString(),
                "javax.net.ssl.trustStorePassword", PASSWORD, "javax.net.ssl.trustStoreType", "PKCS12");
        set.forEach((k, v) -> saved.put(k, System.setProperty(k, v)));
        return saved;
    }

    private static Server http2Server(Path keys, Request.Handler handler) throws Exception {
        SslContextFactory.Server tls = new SslContextFactory.Server();
        tls.setKeyStorePath(keys.toString());
        tls.setKeyStorePassword(PASSWORD);
        tls.setKeyStoreType("PKCS12");
        HttpConfiguration config = new HttpConfiguration();
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        config.addCustomizer(secure);
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory();
        alpn.setDefaultProtocol("http/1.1");
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server, new SslConnectionFactory(tls, alpn.getProtocol()),
                alpn, new HTTP2ServerConnectionFactory(config), new HttpConnectionFactory(config));
        connector.setHost(InetAddress.getLoopbackAddress().getHostAddress());
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                return handler.handle(request, response, callback);
            }
        });
        server.start();
        return server;
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "keytool hangs");
        assertEquals(0, p.exitValue(), out);
    }
}
