package dev.shardgate.simulator;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shardgate.simulator.gateway.Endpoint;
import dev.shardgate.simulator.gateway.ResumeFault;
import dev.shardgate.simulator.gateway.ResumeRecord;
import dev.shardgate.simulator.gateway.SessionState;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.handshake.ServerHandshake;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A broken {@code resume_gateway_url}, seen from a plain Java-WebSocket client: the handshake is refused, or the
 * connection opens and never hears Hello. The main URL keeps working, so the session resumes there.
 */
@Tag("process")
class BrokenResumeUrlTest {
    private static Simulator sim;

    @BeforeAll
    static void start() {
        sim = Simulator.builder().shards(4).maxConcurrency(4).guildsPerShard(1).start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @AfterEach
    void repair() {
        sim.gateway().breakResumeUrl(ResumeFault.NONE);
    }

    /** Starts a session on the shard and drops its connection, so it waits to be resumed from seq 2. */
    private static String droppedSession(int shard) throws InterruptedException {
        GatewayTestClient c = GatewayTestClient.zlib(sim.gateway().url());
        String id = c.identifyReady("sim-token", shard, 4).get("d").get("session_id").asText();
        c.nextDispatch("GUILD_CREATE");
        sim.gateway().dropConnection(shard);
        c.awaitClose();
        await().until(() -> sim.gateway().liveSessions(shard).getFirst().state() == SessionState.DISCONNECTED);
        return id;
    }

    private static String resume(String sessionId) {
        return "{\"op\":6,\"d\":{\"token\":\"sim-token\",\"session_id\":\"" + sessionId + "\",\"seq\":2}}";
    }

    /** Resumes on the main URL, as a client whose resume URL failed must; returns once RESUMED arrived. */
    private static void resumeOnTheMainUrl(String sessionId) throws InterruptedException {
        GatewayTestClient fallback = GatewayTestClient.zlib(sim.gateway().url());
        try {
            fallback.next(10, null);
            fallback.sendJson(resume(sessionId));
            fallback.nextDispatch("RESUMED");
        } finally {
            fallback.closeBlocking();
        }
        ResumeRecord last = sim.gateway().resumes().getLast();
        assertEquals(sessionId, last.sessionId());
        assertEquals(ResumeRecord.Outcome.RESUMED, last.outcome());
        assertEquals(Endpoint.PRIMARY, last.endpoint());
    }

    @Test
    void aRefusedHandshakeLeavesTheMainUrlToResumeOn() throws Exception {
        String session = droppedSession(0);
        long broken = sim.gateway().brokenResumeConnections();
        sim.gateway().breakResumeUrl(ResumeFault.HANDSHAKE_FAILS);
        assertEquals(ResumeFault.HANDSHAKE_FAILS, sim.gateway().resumeUrlFault());

        Probe probe = new Probe(sim.gateway().resumeUrl());
        assertFalse(probe.connectBlocking(20, TimeUnit.SECONDS), "the websocket handshake must fail");
        assertFalse(probe.opened);
        assertEquals(broken + 1, sim.gateway().brokenResumeConnections());

        resumeOnTheMainUrl(session);
        assertEquals(List.of(), probe.received);
    }

    @Test
    void aResumeUrlThatNeverSaysHelloLeavesTheMainUrlToResumeOn() throws Exception {
        String session = droppedSession(1);
        long broken = sim.gateway().brokenResumeConnections();
        sim.gateway().breakResumeUrl(ResumeFault.NO_HELLO);

        Probe probe = new Probe(sim.gateway().resumeUrl());
        try {
            assertTrue(probe.connectBlocking(20, TimeUnit.SECONDS), "the handshake itself succeeds");
            await().until(() -> sim.gateway().brokenResumeConnections() == broken + 1);
            // A client that resumes without waiting for Hello gets no answer either.
            probe.send(resume(session));

            resumeOnTheMainUrl(session);
            assertEquals(List.of(), probe.received, "no Hello and no answer to the Resume");
            assertTrue(probe.isOpen(), "the server says nothing, not even a close");
            assertTrue(sim.gateway().resumes().stream().noneMatch(r -> r.endpoint() == Endpoint.RESUME));

            sim.gateway().breakResumeUrl(ResumeFault.NONE);
            GatewayTestClient repaired = GatewayTestClient.zlib(sim.gateway().resumeUrl());
            assertEquals(10, repaired.next().get("op").asInt(), "a repaired resume URL says Hello again");
            repaired.closeBlocking();
        } finally {
            probe.closeBlocking();
        }
    }

    /** A bare Java-WebSocket client that records whether it opened and every message it got. */
    private static final class Probe extends WebSocketClient {
        final List<String> received = new CopyOnWriteArrayList<>();
        volatile boolean opened;

        Probe(String url) {
            super(URI.create(url + "/?v=10&encoding=json"));
            setConnectionLostTimeout(0);
        }

        @Override
        public void onOpen(ServerHandshake handshake) {
            opened = true;
        }

        @Override
        public void onMessage(String message) {
            received.add(message);
        }

        @Override
        public void onMessage(ByteBuffer bytes) {
            received.add("binary message of " + bytes.remaining() + " bytes");
        }

        @Override
        public void onClose(int code, String reason, boolean remote) {
        }

        @Override
        public void onError(Exception ex) {
        }
    }
}
