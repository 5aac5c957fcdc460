package dev.shardgate.simulator;

import com.sun.net.httpserver.HttpServer;
import dev.shardgate.protocol.GatewayLimits;
import dev.shardgate.protocol.Intents;
import dev.shardgate.simulator.control.ControlApi;
import dev.shardgate.simulator.events.EventFactory;
import dev.shardgate.simulator.events.EventGenerator;
import dev.shardgate.simulator.gateway.GatewaySettings;
import dev.shardgate.simulator.gateway.SimulatedGateway;
import dev.shardgate.simulator.http.ApiRouter;
import dev.shardgate.simulator.http.GatewayBotHandler;
import dev.shardgate.simulator.rest.RestSettings;
import dev.shardgate.simulator.rest.RestSimulator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * A Discord simulator: the HTTP API ({@code /api/v10/...}, with {@code /gateway/bot} and the REST simulator),
 * the gateway websockets, the background event generator, and the control API under {@code /_sim/}.
 *
 * <pre>{@code
 * try (Simulator sim = Simulator.builder().token("sim-token").shards(4).start()) {
 *     String apiUrl = sim.apiUrl();   // DISCORD_API_URL
 *     sim.gateway().dropConnection(2);
 * }
 * }</pre>
 *
 * <p>Threads: the HTTP server runs each request on a virtual thread; the gateway and the event generator own
 * theirs (see {@link SimulatedGateway} and {@link EventGenerator}). {@link #close()} stops all of them.
 */
public final class Simulator implements AutoCloseable {
    private final SimulatedGateway gateway;
    private final EventGenerator generator;
    private final RestSimulator rest;
    private final HttpServer http;
    private final ExecutorService httpThreads;
    private final String apiUrl;

    static {
        // The JDK's HTTP server turns Nagle's algorithm off only when asked, and reads the flag once, when its
        // first server starts: without it a small answer written in two parts waits up to 40 ms for the client's
        // delayed ACK, which Discord's API does not make anyone wait.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private Simulator(Builder b) {
        GatewaySettings settings = new GatewaySettings(b.token, b.shards, b.maxConcurrency, b.sessionStartTotal,
                b.sessionStartRemaining, b.sessionStartResetAfter, b.heartbeatInterval, b.guildsPerShard,
                b.resumeWindow, b.enabledPrivilegedIntents, b.zlibSplitAbove, b.replayCapacity, b.ledgerCapacity,
                GatewayLimits.IDENTIFY_WINDOW, b.clock);
        EventFactory events = new EventFactory(b.clock);
        this.gateway = SimulatedGateway.start(settings, events, b.bindAddress, b.advertisedHost, b.gatewayPort,
                b.resumePort, b.gatewayTls);
        this.generator = new EventGenerator(events, gateway::emit, b.shards, b.guildsPerShard,
                b.eventsPerSecondPerShard);
        this.rest = new RestSimulator(b.token, RestSettings.defaults(), Clock.systemUTC(), gateway::tokenReset);
        this.httpThreads = Executors.newVirtualThreadPerTaskExecutor();
        try {
            this.http = HttpServer.create(new InetSocketAddress(b.bindAddress, b.httpPort), 0);
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot bind the simulator's HTTP port " + b.httpPort, e);
        }
        http.setExecutor(httpThreads);
        http.createContext("/api/v10/", new ApiRouter(new GatewayBotHandler(gateway), rest));
        http.createContext(ControlApi.PREFIX, new ControlApi(gateway, generator));
        http.start();
        this.apiUrl = "http://" + b.advertisedHost + ":" + http.getAddress().getPort() + "/api/v10";
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The REST base, what {@code DISCORD_API_URL} is set to: {@code http://127.0.0.1:PORT/api/v10}. */
    public String apiUrl() {
        return apiUrl;
    }

    /** The HTTP port (the API and {@code /_sim/}). */
    public int httpPort() {
        return http.getAddress().getPort();
    }

    /** The control API base, {@code http://127.0.0.1:PORT/_sim}. */
    public String controlUrl() {
        return apiUrl.substring(0, apiUrl.length() - "/api/v10".length()) + "/_sim";
    }

    public RestSimulator rest() {
        return rest;
    }

    /** The gateway's control and observation API. */
    public SimulatedGateway gateway() {
        return gateway;
    }

    public EventGenerator events() {
        return generator;
    }

    @Override
    public void close() {
        if (http != null) {
            http.stop(0);
        }
        httpThreads.shutdownNow();
        generator.close();
        gateway.close();
    }

    /** Settings with Discord's usual values; {@link #start()} binds 127.0.0.1 on free ports unless told otherwise. */
    public static final class Builder {
        private String token = "sim-token";
        private int shards = 1;
        private int maxConcurrency = 1;
        private int sessionStartTotal = 1000;
        private int sessionStartRemaining = 1000;
        private Duration sessionStartResetAfter = Duration.ofHours(24);
        private Duration heartbeatInterval = Duration.ofMillis(41250);
        private int guildsPerShard = 3;
        private double eventsPerSecondPerShard;
        private Duration resumeWindow = Duration.ofMinutes(3);
        private int enabledPrivilegedIntents = Intents.PRIVILEGED;
        private int zlibSplitAbove;
        private int replayCapacity = 5_000;
        private int ledgerCapacity = 50_000;
        private String bindAddress = "127.0.0.1";
        private String advertisedHost = "127.0.0.1";
        private int httpPort;
        private int gatewayPort;
        private int resumePort;
        private SSLContext gatewayTls;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** The valid bot token; anything else gets 401 on REST and close 4004 on Identify/Resume. */
        public Builder token(String token) {
            if (token == null || token.isBlank()) {
                throw new IllegalArgumentException("token must not be blank");
            }
            this.token = token.startsWith("Bot ") ? token.substring(4) : token;
            return this;
        }

        /** {@code /gateway/bot}'s recommended {@code shards}. */
        public Builder shards(int shards) {
            this.shards = shards;
            return this;
        }

        /** {@code session_start_limit.max_concurrency}: the number of identify buckets. */
        public Builder maxConcurrency(int maxConcurrency) {
            this.maxConcurrency = maxConcurrency;
            return this;
        }

        public Builder sessionStartLimit(int total, int remaining, Duration resetAfter) {
            this.sessionStartTotal = total;
            this.sessionStartRemaining = remaining;
            this.sessionStartResetAfter = resetAfter;
            return this;
        }

        public Builder heartbeatInterval(Duration interval) {
            this.heartbeatInterval = interval;
            return this;
        }

        public Builder guildsPerShard(int guilds) {
            this.guildsPerShard = guilds;
            return this;
        }

        /** The background event generator's rate per shard (0 = off). */
        public Builder eventsPerSecondPerShard(double rate) {
            if (rate < 0) {
                throw new IllegalArgumentException("rate must be >= 0: " + rate);
            }
            this.eventsPerSecondPerShard = rate;
            return this;
        }

        /** How long a session survives an abnormal close and can be resumed. */
        public Builder resumeWindow(Duration window) {
            this.resumeWindow = window;
            return this;
        }

        /** Which privileged intents are enabled for the bot (default: all three); others close 4014. */
        public Builder enabledPrivilegedIntents(int intents) {
            this.enabledPrivilegedIntents = intents & Intents.PRIVILEGED;
            return this;
        }

        /** Splits compressed payloads over websocket messages of at most this many bytes (0 = never). */
        public Builder zlibSplitAbove(int bytes) {
            this.zlibSplitAbove = bytes;
            return this;
        }

        /** Dispatches kept per session for resume replay; older ones make a resume fail with op 9. */
        public Builder replayCapacity(int dispatches) {
            this.replayCapacity = dispatches;
            return this;
        }

        /** Entries kept in the dispatch ledger and the command log. */
        public Builder ledgerCapacity(int entries) {
            this.ledgerCapacity = entries;
            return this;
        }

        /** The address to listen on (default 127.0.0.1). */
        public Builder bindAddress(String address) {
            this.bindAddress = address;
            return this;
        }

        /** The host name put into the URLs the simulator hands out (default 127.0.0.1). */
        public Builder advertisedHost(String host) {
            this.advertisedHost = host;
            return this;
        }

        /** Ports for HTTP, the gateway and the resume gateway; 0 (the default) picks free ones. */
        public Builder ports(int http, int gateway, int resume) {
            this.httpPort = http;
            this.gatewayPort = gateway;
            this.resumePort = resume;
            return this;
        }

        /**
         * Serves both gateway URLs over TLS ({@code wss://}, as Discord does) with {@code tls}'s certificate; the
         * advertised host must be a name the certificate holds.
         */
        public Builder gatewayTls(SSLContext tls) {
            this.gatewayTls = tls;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        public Simulator start() {
            return new Simulator(this);
        }
    }
}
