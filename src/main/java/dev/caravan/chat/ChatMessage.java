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
 * <p>{@code content} is a string, typed parts or an explicit null (assistant turns that only call tools), see
 * {@link Content}; {@link #text()} reads it as plain text. Fields this record does not name are kept in
 * {@code extra} so that an OpenAI-compatible upstream receives them unchanged; it may be read only (a message without
 * other fields shares the empty map): whatever changes it copies it first.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatMessage(
        String role,
        Content content,
        String name,
        @JsonProperty("tool_calls") List<ToolCall> toolCalls,
        @JsonProperty("tool_call_id") String toolCallId,
        @JsonAnySetter Map<String, JsonNode> extra) {

    public ChatMessage {
        extra = extra == null ? new LinkedHashMap<>() : extra;
    }

    public static ChatMessage of(String role, String text) {
        return new ChatMessage(role, Content.of(text), null, null, null, null);
    }

    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }

    /** The text of this message: the string content, or its text parts joined; empty when there is none. */
    public String text() {
        return content == null ? "" : content.plainText();
    }

    /** True when this assistant message calls at least one tool. */
    public boolean callsTools() {
        return toolCalls != null && !toolCalls.isEmpty();
    }

    static final List<String> ROLES = List.of("system", "developer", "user", "assistant", "tool", "function");
}
