package dev.caravan.chat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One turn of a conversation, in OpenAI Chat Completions form.
 *
 * <p>{@code content} is kept as JSON because the wire allows a string, an array of typed parts or null
 * (assistant turns that only call tools); {@link #text()} reads it as plain text. Fields this record does
 * not name are kept in {@code extra} so that an OpenAI-compatible upstream receives them unchanged.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatMessage(
        String role,
        JsonNode content,
        String name,
        @JsonProperty("tool_calls") JsonNode toolCalls,
        @JsonProperty("tool_call_id") String toolCallId,
        @JsonAnySetter Map<String, JsonNode> extra) {

    public ChatMessage {
        extra = extra == null ? new LinkedHashMap<>() : extra;
    }

    public static ChatMessage of(String role, String text) {
        return new ChatMessage(role, com.fasterxml.jackson.databind.node.TextNode.valueOf(text), null, null, null, null);
    }

    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }

    /** The text of this message: the string content, or its text parts joined; empty when there is none. */
    public String text() {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            if ("text".equals(part.path("type").asText()) && part.has("text")) {
                if (!text.isEmpty()) {
                    text.append('\n');
                }
                text.append(part.get("text").asText());
            }
        }
        return text.toString();
    }

    static final List<String> ROLES = List.of("system", "developer", "user", "assistant", "tool", "function");
}
