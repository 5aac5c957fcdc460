package dev.shardgate.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Event types that cannot be a subject token or a header value still get a safe, distinct, reversible name. */
class EventNamingTest {
    private static final List<String> ODD = List.of("", "MESSAGE.CREATE", "ALL*", "ANY>", "TWO WORDS", "TAB\tBED",
            "LINE\r\nBREAK", "CAF\u00c9", "\ud83d\ude00", "BACK\\SLASH", "X".repeat(65), "~0123456789abcdef");

    @Test
    void discordEventNamesAreTheirOwnTokenAndHeaderValue() {
        for (String type : List.of("MESSAGE_CREATE", "GUILD_SCHEDULED_EVENT_USER_REMOVE", "X".repeat(64), "a-b")) {
            assertEquals(type, Subjects.eventToken(type));
            assertEquals(type, EventHeaders.eventValue(type));
            assertEquals(type, EventHeaders.eventType(type));
        }
        assertEquals("discord.events.3.MESSAGE_CREATE", new Subjects("discord").event(3, "MESSAGE_CREATE"));
    }

    @Test
    void aTypeThatIsNoTokenBecomesOneSafeTokenOfItsOwn() {
        for (String type : ODD) {
            String token = Subjects.eventToken(type);
            assertTrue(token.matches("~[0-9a-f]{32}"), type + " -> " + token);
            assertEquals(token, Subjects.eventToken(type), "the same type always gets the same token");
            assertEquals("discord.events.0." + token, new Subjects("discord").event(0, type));
        }
        assertEquals(ODD.size(), ODD.stream().map(Subjects::eventToken).distinct().count(), "distinct types differ");
        assertNotEquals(Subjects.eventToken("~0123456789abcdef"), "~0123456789abcdef");
    }

    @Test
    void aTypeAHeaderCannotCarryIsEscapedReversiblyAndPrintableOnesAreKept() {
        assertEquals("MESSAGE.CREATE", EventHeaders.eventValue("MESSAGE.CREATE"));
        assertEquals("TWO WORDS", EventHeaders.eventValue("TWO WORDS"));
        assertEquals("LINE\\r\\nBREAK", EventHeaders.eventValue("LINE\r\nBREAK"));
        assertEquals("CAF\\u00c9", EventHeaders.eventValue("CAF\u00c9"));
        assertEquals("BACK\\\\SLASH", EventHeaders.eventValue("BACK\\SLASH"));
        for (String type : ODD) {
            String value = EventHeaders.eventValue(type);
            assertTrue(value.chars().allMatch(c -> c >= 0x20 && c < 0x7f), type + " -> " + value);
            assertEquals(type, EventHeaders.eventType(value));
        }
    }

    @Test
    void errorsBecomeOnePrintableLineOfBoundedLength() {
        assertEquals("a b ? c", EventHeaders.errorValue("a\r\nb \u00e9 c"));
        assertEquals(1003, EventHeaders.errorValue("x".repeat(5000)).length());
        assertEquals("(no message)", EventHeaders.errorValue(null));
    }

    @Test
    void deadLetterSubjects() {
        Subjects s = new Subjects("discord");
        assertEquals("discord.deadletter.>", s.deadLetters());
        assertEquals("discord.deadletter.proxy.7", s.proxyDeadLetter(7));
    }
}
