package dev.shardgate.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProtocolTablesTest {
    private static GatewayFrame frame(String json) throws MalformedFrameException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return new EnvelopeReader().read(b, 0, b.length);
    }

    @Test
    void closeCodesMapToTheDocumentedActions() {
        for (int code : new int[] {4004, 4010, 4011, 4012, 4013, 4014}) {
            assertEquals(CloseAction.STOP, CloseCode.actionFor(code), "code " + code);
        }
        for (int code : new int[] {4003, 4007, 4009}) {
            assertEquals(CloseAction.IDENTIFY, CloseCode.actionFor(code), "code " + code);
        }
        for (int code : new int[] {4000, 4001, 4002, 4005, 4008, 1000, 1001, 1006, 4999, 4006}) {
            assertEquals(CloseAction.RESUME, CloseCode.actionFor(code), "code " + code);
        }
        assertEquals("4004 AUTHENTICATION_FAILED", CloseCode.describe(4004));
        assertEquals("1006", CloseCode.describe(1006));
    }

    @Test
    void onlyTheContractsOpsAreWorkerCommands() {
        assertTrue(Opcode.PRESENCE_UPDATE.isWorkerCommand());
        assertTrue(Opcode.VOICE_STATE_UPDATE.isWorkerCommand());
        assertTrue(Opcode.REQUEST_GUILD_MEMBERS.isWorkerCommand());
        assertTrue(Opcode.REQUEST_SOUNDBOARD_SOUNDS.isWorkerCommand());
        assertFalse(Opcode.IDENTIFY.isWorkerCommand());
        assertFalse(Opcode.HEARTBEAT.isWorkerCommand());
        assertFalse(Opcode.RESUME.isWorkerCommand());
        assertEquals(Opcode.REQUEST_CHANNEL_INFO, Opcode.of(43).orElseThrow());
        assertTrue(Opcode.of(5).isEmpty());
        assertTrue(Opcode.of(-1).isEmpty());
        assertTrue(Opcode.of(1000).isEmpty());
    }

    @Test
    void shardMathFollowsTheDocsExample() {
        long guild = 820674996354555911L;
        assertEquals(3, Snowflake.shardFor(guild, 4));
        assertEquals(7, Snowflake.shardFor(guild, 16));
        assertEquals(39, Snowflake.shardFor(guild, 48));
        assertEquals(0, Snowflake.shardFor(guild, 1));
        // ids above Long.MAX_VALUE are still valid unsigned snowflakes
        assertTrue(Snowflake.shardFor(Snowflake.parse("18446744073709551615"), 16) >= 0);
        assertThrows(IllegalArgumentException.class, () -> Snowflake.parse("12a"));
    }

    @Test
    void shardIdsParseRangesListsAndAll() {
        assertEquals(List.of(0, 1, 2, 3), ShardIds.parse("all", 4));
        assertEquals(List.of(0, 1, 2, 3), ShardIds.parse("", 4));
        assertEquals(List.of(0, 2, 4, 5, 6), ShardIds.parse("0,2,4-6", 8));
        assertEquals(List.of(16, 17), ShardIds.parse(" 16 - 17 ", 32));
        assertThrows(IllegalArgumentException.class, () -> ShardIds.parse("0-16", 16));
        assertThrows(IllegalArgumentException.class, () -> ShardIds.parse("5-2", 16));
        assertThrows(IllegalArgumentException.class, () -> ShardIds.parse("x", 16));
        assertThrows(IllegalArgumentException.class, () -> ShardIds.parse("0-3,", 16)); // an empty part, as in "0,,3"
        assertThrows(IllegalArgumentException.class, () -> ShardIds.parse("0", 0));
    }

    @Test
    void subjectsFollowTheContract() {
        Subjects s = new Subjects("discord");
        assertEquals("discord.events.3.MESSAGE_CREATE", s.event(3, "MESSAGE_CREATE"));
        assertEquals("discord.events.>", s.allEvents());
        assertEquals("discord.events.5.>", s.shardEvents(5));
        assertEquals("discord.gateway.send.2", s.gatewaySend(2));
        assertEquals("discord.gateway.info", s.gatewayInfo());
        assertEquals("discord.chunks.abc", s.chunks("abc"));
        assertEquals("bots.a.events.0.READY", new Subjects("bots.a").event(0, "READY"));
        assertThrows(IllegalArgumentException.class, () -> new Subjects("bad prefix"));
        assertThrows(IllegalArgumentException.class, () -> new Subjects("a..b"));
        assertEquals("3:sess:42", EventHeaders.messageId(3, "sess", 42));
    }

    @Test
    void payloadsAreWhatDiscordExpects() throws Exception {
        GatewayFrame hb = frame(Payloads.heartbeat(GatewayFrame.NO_SEQ));
        assertEquals(1, hb.op());
        assertTrue(hb.isDataNull());
        assertEquals("42", frame(Payloads.heartbeat(42)).dataAsString());
        String identify = Payloads.identify("Bot abc\"def", 7, 16, Intents.ALL_NON_PRIVILEGED, null);
        assertEquals(2, frame(identify).op());
        assertTrue(identify.contains("\"token\":\"abc\\\"def\""), identify);
        assertTrue(identify.contains("\"shard\":[7,16]"), identify);
        String resume = Payloads.resume("abc", "sess", 1337);
        assertTrue(resume.contains("\"session_id\":\"sess\",\"seq\":1337"), resume);
    }
}
