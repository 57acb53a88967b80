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
 * The canonical stream chunk: an OpenAI {@code chat.completion.chunk}. Every dialect's stream is decoded into
 * these, and the gateway writes them to the client as {@code data:} events.
 *
 * <p>A chunk with no choices and a {@code usage} is the usage chunk: at most one per stream, after the
 * finish reason, as OpenAI sends it for {@code stream_options.include_usage}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatChunk(
        String id,
        String object,
        Long created,
        String model,
        List<Choice> choices,
        Usage usage,
        @JsonProperty("system_fingerprint") String systemFingerprint,
        @JsonAnySetter Map<String, JsonNode> extra) {

    public static final String OBJECT = "chat.completion.chunk";

    public ChatChunk {
        extra = extra == null ? new LinkedHashMap<>() : extra;
    }

    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }

    /** A chunk with one choice. */
    public static ChatChunk of(String id, long created, String model, Delta delta, String finishReason) {
        return new ChatChunk(id, OBJECT, created, model, List.of(new Choice(0, delta, finishReason, null)), null,
                null, null);
    }

    /** The usage chunk that closes a stream. */
    public static ChatChunk usage(String id, long created, String model, Usage usage) {
        return new ChatChunk(id, OBJECT, created, model, List.of(), usage, null, null);
    }

    /** True when this chunk carries output the client can see: text, reasoning, a refusal or a tool call. */
    public boolean hasContent() {
        if (choices == null) {
            return false;
        }
        for (Choice choice : choices) {
            Delta d = choice.delta();
            if (d != null && (d.content() != null && !d.content().isEmpty()
                    || d.refusal() != null && !d.refusal().isEmpty()
                    || d.toolCalls() != null && !d.toolCalls().isEmpty()
                    || reasoning(d.extra().get("reasoning_content")) || reasoning(d.extra().get("reasoning")))) {
                return true;
            }
        }
        return false;
    }

    /** Reasoning or thinking text (DeepSeek's and vLLM's {@code reasoning_content}, OpenRouter's {@code reasoning}). */
    private static boolean reasoning(JsonNode text) {
        return text != null && text.isTextual() && !text.asText().isEmpty();
    }

    /** The finish reason of the first choice that has one, or null. */
    public String finishReason() {
        if (choices != null) {
            for (Choice choice : choices) {
                if (choice.finishReason() != null) {
                    return choice.finishReason();
                }
            }
        }
        return null;
    }

    public ChatChunk withModel(String replaced) {
        return new ChatChunk(id, object, created, replaced, choices, usage, systemFingerprint, extra);
    }

    public ChatChunk withoutUsage() {
        return new ChatChunk(id, object, created, model, choices, null, systemFingerprint, extra);
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Choice(
            Integer index,
            Delta delta,
            @JsonProperty("finish_reason") String finishReason,
            JsonNode logprobs) {
    }

    /**
     * What one chunk adds to the answer.
     *
     * @param toolCalls OpenAI tool call deltas: {@code [{index, id, type, function: {name, arguments}}]}, the id
     *                  and name on a call's first delta, argument fragments after
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Delta(
            String role,
            String content,
            String refusal,
            @JsonProperty("tool_calls") JsonNode toolCalls,
            @JsonAnySetter Map<String, JsonNode> extra) {

        public Delta {
            extra = extra == null ? new LinkedHashMap<>() : extra;
        }

        @JsonAnyGetter
        public Map<String, JsonNode> extra() {
            return extra;
        }

        public static Delta role(String role) {
            return new Delta(role, null, null, null, null);
        }

        public static Delta text(String text) {
            return new Delta(null, text, null, null, null);
        }

        public static Delta toolCalls(JsonNode calls) {
            return new Delta(null, null, null, calls, null);
        }

        public static Delta empty() {
            return new Delta(null, null, null, null, null);
        }
    }
}
