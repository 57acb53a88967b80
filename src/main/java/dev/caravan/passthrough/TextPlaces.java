package dev.caravan.passthrough;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.provider.stream.StreamTexts;

/**
 * Where each protocol's streamed event holds a text of the answer, to replace it with what of it may pass: the event
 * is rewritten in place, every other field as the provider sent it.
 */
final class TextPlaces {

    private TextPlaces() {
    }

    /**
     * Puts {@code text} where {@code event} holds the field's text; false when it holds none there.
     *
     * @param responses a Responses stream's event: its text is its {@code delta}
     */
    static boolean replace(ClientApi api, boolean responses, JsonNode event, StreamTexts.Field field, String text) {
        if (responses || api == ClientApi.RESPONSES) {
            return put(event, "delta", text);
        }
        return switch (api) {
            case CHAT_COMPLETIONS -> {
                JsonNode delta = element(event.path("choices"), field.choice()).path("delta");
                if (!field.name().equals(StreamTexts.ARGUMENTS)) {
                    yield put(delta, field.name(), text);
                }
                yield put(element(delta.path("tool_calls"), field.tool()).path("function"), "arguments", text);
            }
            case MESSAGES -> {
                // one text a content block's event: a delta's, or a block's first
                String name = switch (field.name()) {
                    case StreamTexts.CONTENT -> "text";
                    case StreamTexts.ARGUMENTS -> "partial_json";
                    default -> "thinking";
                };
                yield put(event.path("delta"), name, text) || put(event.path("content_block"), name, text);
            }
            case GEMINI -> parts(element(event.path("candidates"), field.choice()).path("content").path("parts"),
                    !field.name().equals(StreamTexts.CONTENT), text);
            default -> false;
        };
    }

    /** The element of {@code array} whose {@code index} is {@code index}; else the one at that position. */
    private static JsonNode element(JsonNode array, int index) {
        int position = 0;
        for (JsonNode element : array) {
            JsonNode own = element.get("index");
            if (own != null ? own.canConvertToInt() && own.asInt() == index : position == index) {
                return element;
            }
            position++;
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }

    /** A candidate's text parts (its thoughts, or its answer): the text goes in the first, the others are emptied. */
    private static boolean parts(JsonNode parts, boolean thought, String text) {
        boolean put = false;
        for (JsonNode part : parts) {
            if (part.path("text").isTextual() && part.path("thought").asBoolean(false) == thought) {
                ((ObjectNode) part).put("text", put ? "" : text);
                put = true;
            }
        }
        return put;
    }

    private static boolean put(JsonNode node, String name, String text) {
        if (node instanceof ObjectNode object && object.path(name).isTextual()) {
            object.put(name, text);
            return true;
        }
        return false;
    }
}
