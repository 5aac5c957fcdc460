package dev.shardgate.simulator.rest;

import com.fasterxml.jackson.databind.JsonNode;

/** What an endpoint handler answers: a status and a JSON body, or no body (204). */
record Answer(int status, JsonNode body) {
    static Answer ok(JsonNode body) {
        return new Answer(200, body);
    }

    static Answer created(JsonNode body) {
        return new Answer(201, body);
    }

    static Answer noContent() {
        return new Answer(204, null);
    }
}
