package dev.shardgate.simulator.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A message body as Discord validates it, from JSON or from {@code multipart/form-data} ({@code payload_json}
 * plus file parts): content ≤ 2000 characters, ≤ 10 embeds, files ≤ the per-file limit, and not empty.
 */
record MessagePayload(ObjectNode json, List<Upload> uploads) {
    static final int MAX_CONTENT = 2000;
    static final int MAX_EMBEDS = 10;
    private static final List<String> NON_EMPTY_FIELDS =
            List.of("content", "embeds", "sticker_ids", "components", "poll", "message_reference");

    /** A file part of the request: what Discord turns into an attachment. */
    record Upload(int index, String filename, String contentType, int size) {
    }

    /**
     * @param requireContent whether an empty message is refused (create: yes; edit: no)
     * @throws DiscordError 50109, 50035, 50045 or 50006, as Discord answers them
     */
    static MessagePayload read(RestRequest request, long maxFileBytes, boolean requireContent) throws DiscordError {
        MessagePayload payload = request.isMultipart() ? fromMultipart(request, maxFileBytes)
                : new MessagePayload(object(request.json()), List.of());
        payload.validate(requireContent);
        return payload;
    }

    private static MessagePayload fromMultipart(RestRequest request, long maxFileBytes) throws DiscordError {
        String boundary = Multipart.boundary(request.contentType());
        if (boundary == null) {
            throw request.contentTypeInvalid();
        }
        Multipart multipart;
        try {
            multipart = Multipart.parse(request.body(), boundary);
        } catch (IllegalArgumentException e) {
            throw new DiscordError.FormErrors().add("", "MULTIPART_INVALID", "Malformed multipart body: "
                    + e.getMessage()).toError();
        }
        ObjectNode json = Json.MAPPER.createObjectNode();
        List<Upload> uploads = new ArrayList<>();
        for (Multipart.Part part : multipart.parts()) {
            if (part.isFile()) {
                if (part.size() > maxFileBytes) {
                    throw new DiscordError(400, 50045, "File uploaded exceeds the maximum size");
                }
                uploads.add(new Upload(fileIndex(part.name(), uploads.size()), part.filename(),
                        part.contentType() == null ? "application/octet-stream" : part.contentType(), part.size()));
            } else if (part.name().equals("payload_json")) {
                json.setAll(object(Json.parse(part.content())));
            } else {
                json.put(part.name(), new String(part.content(), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return new MessagePayload(json, List.copyOf(uploads));
    }

    /** {@code files[3]} → 3; other names get the next free position. */
    private static int fileIndex(String name, int fallback) {
        if (name.startsWith("files[") && name.endsWith("]")) {
            try {
                return Integer.parseInt(name.substring(6, name.length() - 1));
            } catch (NumberFormatException e) {
                return fallback;
            }
        }
        return fallback;
    }

    private static ObjectNode object(JsonNode node) throws DiscordError {
        if (node instanceof ObjectNode object) {
            return object;
        }
        throw new DiscordError.FormErrors().add("", "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
                .toError();
    }

    private void validate(boolean requireContent) throws DiscordError {
        DiscordError.FormErrors errors = new DiscordError.FormErrors();
        JsonNode content = json.get("content");
        if (content != null && !content.isNull()) {
            String text = content.asText();
            if (!content.isTextual()) {
                errors.add("content", "BASE_TYPE_STRING", "Must be a string.");
            } else if (text.codePointCount(0, text.length()) > MAX_CONTENT) {
                errors.add("content", "BASE_TYPE_MAX_LENGTH", "Must be " + MAX_CONTENT + " or fewer in length.");
            }
        }
        JsonNode embeds = json.get("embeds");
        if (embeds != null && embeds.isArray() && embeds.size() > MAX_EMBEDS) {
            errors.add("embeds", "BASE_TYPE_MAX_LENGTH", "Must be " + MAX_EMBEDS + " or fewer in length.");
        }
        if (!errors.isEmpty()) {
            throw errors.toError();
        }
        if (requireContent && uploads.isEmpty() && NON_EMPTY_FIELDS.stream().noneMatch(this::present)) {
            throw new DiscordError(400, 50006, "Cannot send an empty message");
        }
    }

    private boolean present(String field) {
        JsonNode node = json.get(field);
        return node != null && !node.isNull() && !(node.isTextual() && node.asText().isEmpty())
                && !(node.isContainerNode() && node.isEmpty());
    }
}
