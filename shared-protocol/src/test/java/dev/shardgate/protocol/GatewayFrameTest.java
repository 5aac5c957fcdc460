package dev.shardgate.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The frame {@link EnvelopeReader} gives: its fields, {@code d}'s exact bytes, and refusals. */
class GatewayFrameTest {
    private static GatewayFrame read(String json) throws MalformedFrameException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return new EnvelopeReader().read(b, 0, b.length);
    }

    @Test
    void dispatchYieldsOpTypeSeqAndTheExactBytesOfD() throws Exception {
        String d = "{\"content\":\"h\\u00e9llo \\\"x\\\" ü\",\"n\":[1,{\"a\":null}],\"big\":1.5e3}";
        GatewayFrame f = read("{\"t\":\"MESSAGE_CREATE\",\"s\":1338,\"op\":0,\"d\":" + d + "}");
        assertEquals(0, f.op());
        assertEquals("MESSAGE_CREATE", f.type());
        assertEquals(1338, f.seq());
        assertArrayEquals(d.getBytes(StandardCharsets.UTF_8), f.data());
    }

    @Test
    void keyOrderDoesNotMatterAndWhitespaceInsideDIsKept() throws Exception {
        String d = "[ 1, 2 ,\n 3 ]";
        GatewayFrame f = read("{ \"d\" : " + d + " , \"op\":0, \"s\":7, \"t\":\"X\", \"_trace\":[\"a\"]}");
        assertEquals(d, f.dataAsString());
        assertEquals(7, f.seq());
    }

    @Test
    void scalarAndMissingData() throws Exception {
        assertEquals("41250", read("{\"op\":1,\"d\":41250}").dataAsString());
        assertEquals("true", read("{\"op\":9,\"d\":true}").dataAsString());
        assertEquals("\"a\\\"b\"", read("{\"op\":9,\"d\":\"a\\\"b\",\"s\":null}").dataAsString());
        GatewayFrame ack = read("{\"op\":11}");
        assertTrue(ack.isDataNull());
        assertNull(ack.type());
        assertEquals(GatewayFrame.NO_SEQ, ack.seq());
    }

    @Test
    void offsetsAreRelativeToTheWholeBuffer() throws Exception {
        byte[] padded = "xxxx{\"op\":0,\"t\":\"A\",\"s\":1,\"d\":{\"k\":1}}yy".getBytes(StandardCharsets.UTF_8);
        GatewayFrame f = new EnvelopeReader().read(padded, 4, padded.length - 6);
        assertEquals("{\"k\":1}", f.dataAsString());
    }

    @Test
    void malformedPayloadsAreRejectedWithAReason() {
        assertThrows(MalformedFrameException.class, () -> read("not json"));
        assertThrows(MalformedFrameException.class, () -> read("[1,2]"));
        assertThrows(MalformedFrameException.class, () -> read("{\"d\":{}}"));
        assertThrows(MalformedFrameException.class, () -> read("{\"op\":\"x\"}"));
        assertThrows(MalformedFrameException.class, () -> read("{\"op\":0,\"d\":{\"a\":"));
        assertThrows(MalformedFrameException.class, () -> read("{\"op\":0} {}"));
        assertThrows(MalformedFrameException.class, () -> read("{\"op\":0,\"s\":\"7\"}"));
    }
}
