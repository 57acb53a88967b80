package dev.caravan.chat;

import java.io.IOException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** A tool call's arguments, which OpenAI carries as JSON text and Anthropic and Gemini need as an object. */
public final class ToolArguments {

    private ToolArguments() {
    }

    /**
     * The arguments as a JSON object: as given when already one, parsed when JSON text, empty when blank; null when
     * they are something else (the dialect then refuses the request, naming the field).
     */
    public static JsonNode asObject(JsonNode arguments, ObjectMapper json) {
        if (arguments.isObject()) {
            return arguments;
        }
        String text = arguments.asText("");
        if (text.isBlank()) {
            return json.createObjectNode();
        }
        try {
            JsonNode parsed = json.readTree(text);
            return parsed != null && parsed.isObject() ? parsed : null;
        } catch (IOException e) {
            return null;
        }
    }
}
