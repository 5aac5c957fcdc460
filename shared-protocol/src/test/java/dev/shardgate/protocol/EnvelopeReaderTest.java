package dev.shardgate.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The allocation-free envelope reader agrees everywhere with what Jackson's tree model reads from the same bytes. */
class EnvelopeReaderTest {
    private final EnvelopeReader reader = new EnvelopeReader();

    private GatewayFrame read(String json) throws MalformedFrameException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return reader.read(b, 0, b.length);
    }

    private void sameAsJackson(String json) throws MalformedFrameException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        JsonNode expected = jackson(b, b.length);
        assertNotNull(expected, "Jackson refuses " + json);
        assertSameFrame(expected, reader.read(b, 0, b.length), json);
    }

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    /**
     * The payload in {@code b[0, len)} as Jackson's tree model reads it, held to the envelope's rules (an object, an
     * integer {@code op}, {@code t} a string or null, {@code s} an integer or null); null when either refuses it.
     */
    private static JsonNode jackson(byte[] b, int len) {
        JsonNode root;
        try {
            root = MAPPER.readTree(b, 0, len);
        } catch (IOException refused) {
            return null;
        }
        if (root == null || !root.isObject()) {
            return null;
        }
        JsonNode op = root.get("op");
        JsonNode t = root.get("t");
        JsonNode s = root.get("s");
        boolean valid = op != null && op.isIntegralNumber() && op.canConvertToInt() && op.intValue() >= 0
                && (t == null || t.isNull() || t.isTextual())
                && (s == null || s.isNull() || (s.isIntegralNumber() && s.canConvertToLong()));
        return valid ? root : null;
    }

    /** The frame says what the tree says: op, t, s, and d as a JSON value (null when absent). */
    private static void assertSameFrame(JsonNode expected, GatewayFrame actual, String context) {
        assertEquals(expected.get("op").intValue(), actual.op(), context);
        JsonNode t = expected.get("t");
        assertEquals(t == null || t.isNull() ? null : t.textValue(), actual.type(), context);
        JsonNode s = expected.get("s");
        assertEquals(s == null || s.isNull() ? GatewayFrame.NO_SEQ : s.longValue(), actual.seq(), context);
        JsonNode d = expected.get("d");
        try {
            assertEquals(d == null ? NullNode.getInstance() : d, MAPPER.readTree(actual.dataAsString()), context);
        } catch (IOException e) {
            throw new AssertionError("d is not JSON: " + actual.dataAsString() + " in " + context, e);
        }
    }

    @Test
    void readsEnvelopesInAnyKeyOrderWithAnyKindOfD() throws Exception {
        for (String json : List.of(
                "{\"op\":0,\"s\":42,\"t\":\"MESSAGE_CREATE\",\"d\":{\"content\":\"a } ] \\\" \\\\ { [\",\"n\":[1,2.5e-3,-0]}}",
                "{\"t\":\"MESSAGE_CREATE\",\"s\":7,\"op\":0,\"d\":{\"nested\":{\"a\":[{},[],[[]],{\"b\":null}]}}}",
                "{\"d\":{\"heartbeat_interval\":41250},\"op\":10,\"s\":null,\"t\":null}",
                "{\"op\":11}",
                "{\"op\":9,\"d\":false}",
                "{\"op\":9,\"d\":true,\"s\":null}",
                "{\"op\":0,\"t\":\"X\",\"s\":1,\"d\":\"a string with \\u00e9 and \\n\"}",
                "{\"op\":0,\"t\":\"X\",\"s\":1,\"d\":-12.5E+7}",
                " \n{ \"op\" : 0 , \"t\" : \"X\" , \"s\" : 3 , \"d\" : [ 1 , { } ] , \"_trace\" : [\"x\"] } \r\n",
                "{\"op\":0,\"t\":\"X\",\"s\":1,\"d\":{\"snowman\":\"\u2603\",\"emoji\":\"\uD83D\uDE00\"}}",
                "{\"op\":0,\"t\":\"X\",\"s\":1,\"d\":1,\"d\":{\"last\":true}}",
                "{\"op\":0,\"t\":\"MESSAGE\\u005fCREATE\",\"s\":5,\"d\":{}}",
                "{\"op\":0,\"t\":\"A\\n\\\"B\\\\\\/\\ud83d\\ude00\u00e9\",\"s\":6,\"d\":{}}",
                "{\"op\":0,\"t\":\"X\",\"s\":9223372036854775807,\"d\":null}")) {
            sameAsJackson(json);
        }
    }

    @Test
    void readsTheBytesOfDInPlace() throws Exception {
        byte[] b = "xx{\"op\":0,\"t\":\"READY\",\"s\":1,\"d\":{\"v\":10}}yy".getBytes(StandardCharsets.UTF_8);
        GatewayFrame f = reader.read(b, 2, b.length - 4);
        assertSame(b, f.buffer());
        assertEquals("{\"v\":10}", f.dataAsString());
        assertEquals("READY", f.type());
        assertEquals(1, f.seq());
    }

    @Test
    void aKnownDispatchNameIsTheSameStringEveryTime() throws Exception {
        String first = read("{\"op\":0,\"t\":\"MESSAGE_CREATE\",\"s\":1,\"d\":{}}").type();
        String second = read("{\"op\":0,\"t\":\"MESSAGE_CREATE\",\"s\":2,\"d\":{}}").type();
        assertSame(first, second);
        assertEquals("TYPING_START", read("{\"op\":0,\"t\":\"TYPING_START\",\"s\":3,\"d\":{}}").type());
    }

    @Test
    void malformedPayloadsAreRefusedWithAReason() {
        for (String json : List.of("", "   ", "[]", "not json", "{", "{\"op\":0", "{\"op\":0,}", "{\"op\":}",
                "{\"d\":{}}", "{\"op\":\"0\"}", "{\"op\":1.5}", "{\"op\":0,\"s\":\"1\"}", "{\"op\":0,\"s\":1.0}",
                "{\"op\":0,\"t\":5}", "{\"op\":0}x", "{\"op\":0} {}", "{\"op\":0,\"d\":{\"a\":tru}}",
                "{\"op\":0,\"d\":{\"a\":01}}", "{\"op\":0,\"d\":\"bad \\x escape\"}", "{\"op\":0,\"d\":\"tab\tin\"}",
                "{\"op\":0,\"d\":[1,]}", "{\"op\":0,\"d\":{\"a\" 1}}", "{\"op\":0,\"d\":\"open}",
                "{\"op\":99999999999}", "{\"op\":0,\"s\":99999999999999999999}",
                "{\"op\":0,\"d\":" + "[".repeat(EnvelopeReader.MAX_DEPTH + 1) + "]".repeat(EnvelopeReader.MAX_DEPTH + 1)
                        + "}")) {
            MalformedFrameException e = assertThrows(MalformedFrameException.class, () -> read(json), json);
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), json);
        }
    }

    /**
     * Random gateway payloads agree with Jackson; random damage to them is either refused by both or read the
     * same by both (the reader is never more lenient than Jackson, except that it does not check UTF-8 inside
     * strings).
     */
    @Test
    void agreesWithJacksonOnRandomPayloadsAndTheirDamagedCopies() throws Exception {
        SplittableRandom random = new SplittableRandom(20261122);
        for (int i = 0; i < 2_000; i++) {
            byte[] frame = randomFrame(random);
            String whole = new String(frame, StandardCharsets.UTF_8);
            JsonNode expected = jackson(frame, frame.length);
            assertNotNull(expected, "Jackson refuses " + whole);
            assertSameFrame(expected, reader.read(frame, 0, frame.length), whole);
            byte[] damaged = frame.clone();
            int flips = 1 + random.nextInt(3);
            for (int f = 0; f < flips; f++) {
                int at = random.nextInt(damaged.length);
                // Only ASCII bytes: the reader leaves UTF-8 inside strings to the workers, Jackson checks it.
                if (damaged[at] >= 0) {
                    damaged[at] = (byte) DAMAGE.charAt(random.nextInt(DAMAGE.length()));
                }
            }
            int len = random.nextInt(4) == 0 ? random.nextInt(damaged.length + 1) : damaged.length;
            GatewayFrame ours;
            try {
                ours = reader.read(damaged, 0, len);
            } catch (MalformedFrameException refused) {
                continue;
            }
            String text = new String(damaged, 0, len, StandardCharsets.UTF_8);
            JsonNode theirs = jackson(damaged, len);
            assertNotNull(theirs, "the reader accepted what Jackson refuses: " + text);
            assertSameFrame(theirs, ours, text);
        }
    }

    private static final JsonFactory JSON = new JsonFactory();
    private static final String DAMAGE = " {}[]\",:09-.eEtnul\\x";

    private static byte[] randomFrame(SplittableRandom random) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            List<String> keys = new ArrayList<>(List.of("t", "s", "d", "_trace"));
            Collections.shuffle(keys, new java.util.Random(random.nextLong()));
            keys = new ArrayList<>(keys.subList(0, random.nextInt(keys.size() + 1)));
            keys.add(random.nextInt(keys.size() + 1), "op");
            for (String key : keys) {
                g.writeFieldName(key);
                switch (key) {
                    case "op" -> g.writeNumber(random.nextInt(12));
                    case "s" -> {
                        if (random.nextBoolean()) {
                            g.writeNumber(random.nextLong(1, Long.MAX_VALUE));
                        } else {
                            g.writeNull();
                        }
                    }
                    case "t" -> {
                        if (random.nextInt(4) == 0) {
                            g.writeNull();
                        } else {
                            g.writeString(List.of("READY", "RESUMED", "MESSAGE_CREATE", "GUILD_CREATE")
                                    .get(random.nextInt(4)));
                        }
                    }
                    default -> randomValue(g, random, 0);
                }
            }
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    private static void randomValue(JsonGenerator g, SplittableRandom random, int depth) throws IOException {
        switch (random.nextInt(depth > 4 ? 5 : 7)) {
            case 0 -> g.writeString(randomText(random));
            case 1 -> g.writeNumber(random.nextLong() >> random.nextInt(64));
            case 2 -> g.writeNumber(random.nextDouble() * 1e6 - 5e5);
            case 3 -> g.writeBoolean(random.nextBoolean());
            case 4 -> g.writeNull();
            case 5 -> {
                g.writeStartObject();
                for (int i = random.nextInt(5); i > 0; i--) {
                    g.writeFieldName(randomText(random));
                    randomValue(g, random, depth + 1);
                }
                g.writeEndObject();
            }
            default -> {
                g.writeStartArray();
                for (int i = random.nextInt(5); i > 0; i--) {
                    randomValue(g, random, depth + 1);
                }
                g.writeEndArray();
            }
        }
    }

    private static String randomText(SplittableRandom random) {
        String alphabet = "abc XYZ09{}[]\",:\\/\n\t\u00e9\u2603";
        StringBuilder sb = new StringBuilder();
        for (int i = random.nextInt(12); i > 0; i--) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }
}
