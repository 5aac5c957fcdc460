package dev.shardgate.simulator.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MultipartTest {
    private static final String BODY = "--xYzZY\r\n"
            + "Content-Disposition: form-data; name=\"payload_json\"\r\n"
            + "Content-Type: application/json\r\n\r\n"
            + "{\"content\":\"report attached\"}\r\n"
            + "--xYzZY\r\n"
            + "Content-Disposition: form-data; name=\"files[0]\"; filename=\"report.csv\"\r\n"
            + "Content-Type: text/csv\r\n\r\n"
            + "guild,shards\r\n820674996354555911,16\r\n"
            + "--xYzZY--\r\n";

    @Test
    void parsesFieldsAndFiles() {
        Multipart multipart = Multipart.parse(BODY.getBytes(StandardCharsets.UTF_8), "xYzZY");
        assertEquals(2, multipart.parts().size());
        Multipart.Part json = multipart.parts().get(0);
        assertEquals("payload_json", json.name());
        assertFalse(json.isFile());
        assertNull(json.filename());
        assertEquals("{\"content\":\"report attached\"}", new String(json.content(), StandardCharsets.UTF_8));
        Multipart.Part file = multipart.parts().get(1);
        assertTrue(file.isFile());
        assertEquals("files[0]", file.name());
        assertEquals("report.csv", file.filename());
        assertEquals("text/csv", file.contentType());
        assertEquals("guild,shards\r\n820674996354555911,16", new String(file.content(), StandardCharsets.UTF_8));
    }

    @Test
    void readsTheBoundaryQuotedOrNot() {
        assertEquals("xYzZY", Multipart.boundary("multipart/form-data; boundary=xYzZY"));
        assertEquals("a b", Multipart.boundary("multipart/form-data; charset=utf-8; boundary=\"a b\""));
        assertNull(Multipart.boundary("multipart/form-data"));
    }

    @Test
    void refusesTruncatedOrNamelessParts() {
        assertThrows(IllegalArgumentException.class,
                () -> Multipart.parse(BODY.substring(0, 120).getBytes(StandardCharsets.UTF_8), "xYzZY"));
        assertThrows(IllegalArgumentException.class, () -> Multipart.parse(
                "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--".getBytes(StandardCharsets.UTF_8), "b"));
        assertThrows(IllegalArgumentException.class,
                () -> Multipart.parse("no delimiter".getBytes(StandardCharsets.UTF_8), "b"));
    }
}
