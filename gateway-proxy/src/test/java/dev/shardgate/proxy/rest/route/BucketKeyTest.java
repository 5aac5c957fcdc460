package dev.shardgate.proxy.rest.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class BucketKeyTest {
    private static final TokenId BOT = TokenId.of("Bot a");
    private static final MajorParameter CHANNEL_1 = new MajorParameter("channel", "1");

    @Test
    void sameHashTokenAndMajorParameterIsOneLimit() {
        assertEquals(BucketKey.ofHash(BOT, "h", CHANNEL_1), BucketKey.ofHash(BOT, "h", new MajorParameter("channel", "1")));
        assertEquals(BucketKey.ofHash(BOT, "h", CHANNEL_1).hashCode(),
                BucketKey.ofHash(BOT, "h", new MajorParameter("channel", "1")).hashCode());
    }

    @Test
    void anyDifferenceIsAnotherLimit() {
        BucketKey key = BucketKey.ofHash(BOT, "h", CHANNEL_1);
        assertNotEquals(key, BucketKey.ofHash(BOT, "h", new MajorParameter("channel", "2")));
        assertNotEquals(key, BucketKey.ofHash(BOT, "other", CHANNEL_1));
        assertNotEquals(key, BucketKey.ofHash(TokenId.of("Bot b"), "h", CHANNEL_1));
        assertNotEquals(key, BucketKey.ofHash(BOT, "h", new MajorParameter("guild", "1")));
    }

    @Test
    void aProvisionalKeyNeverEqualsALearnedOne() throws BadRouteException {
        Route r = Route.parse("GET", "/channels/1", 0, new byte[0]);
        BucketKey provisional = BucketKey.provisional(BOT, r);
        assertNotEquals(provisional, BucketKey.ofHash(BOT, r.template(), r.major()));
        assertEquals(provisional, BucketKey.provisional(BOT, Route.parse("GET", "/channels/1", 0, new byte[0])));
    }

    @Test
    void itsTextShowsNoSecret() {
        BucketKey key = BucketKey.ofHash(TokenId.of("Bot super-secret"), "h", CHANNEL_1);
        assertFalse(key.toString().contains("super-secret"));
    }
}
