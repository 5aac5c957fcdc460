package dev.shardgate.worker;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import discord4j.discordjson.possible.PossibleModule;

/**
 * The JSON mapper a worker uses: a copy of the application's ({@code Worker.Builder.json}) or a fresh one, never a
 * shared static the application could reconfigure for everyone, and never the application's own instance changed.
 * Unknown fields are normal in Discord payloads; Discord4J's model needs its {@code Possible} and JDK 8 modules.
 */
public final class JsonMappers {
    private JsonMappers() {
    }

    public static ObjectMapper lenient() {
        return forDiscord(new ObjectMapper());
    }

    /** A copy of {@code base} that reads Discord's JSON and Discord4J's model; {@code base} is left as it was. */
    public static ObjectMapper forDiscord(ObjectMapper base) {
        return base.copy().registerModule(new PossibleModule()).registerModule(new Jdk8Module())
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    }
}
