package dev.caravan.provider.openai;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * OpenAI's JSON beyond the canonical records of {@code dev.caravan.chat}, which are OpenAI Chat Completions
 * already: the error body.
 */
final class OpenAiTypes {

    private OpenAiTypes() {
    }

    /** {@code {"error": {...}}}, as an answer body or a stream event. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record ErrorBody(ErrorObject error) {
    }

    /** @param code a code such as {@code context_length_exceeded} (some servers send a number) */
    record ErrorObject(String message, String type, String code) {

        static final ErrorObject NONE = new ErrorObject(null, null, null);

        /** An object as it is; a string (as some compatible servers send) as the message alone. */
        @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
        static ErrorObject of(JsonNode error) {
            if (error.isTextual()) {
                return new ErrorObject(error.asText(), null, null);
            }
            return new ErrorObject(text(error.get("message")), text(error.get("type")), text(error.get("code")));
        }

        private static String text(JsonNode value) {
            return value == null || value.isNull() || value.isContainerNode() ? null : value.asText();
        }
    }
}
