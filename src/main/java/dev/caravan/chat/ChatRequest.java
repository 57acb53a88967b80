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
 * The canonical chat request: an OpenAI Chat Completions request.
 *
 * <p>The fields routing and the dialects read are typed (each typed part keeps the fields it does not name in an
 * {@code extra} of its own); every other top-level field the caller sent is kept in {@code extra} and forwarded as
 * is, so nothing the caller asked of an OpenAI-compatible upstream is silently dropped.
 * {@code model} is the caller's model alias until {@link #withModel} replaces it with a target's upstream model.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatRequest(
        String model,
        List<ChatMessage> messages,
        Boolean stream,
        @JsonProperty("max_tokens") Integer maxTokens,
        @JsonProperty("max_completion_tokens") Integer maxCompletionTokens,
        Double temperature,
        @JsonProperty("top_p") Double topP,
        Stop stop,
        List<Tool> tools,
        @JsonProperty("tool_choice") ToolChoice toolChoice,
        @JsonProperty("response_format") ResponseFormat responseFormat,
        @JsonAnySetter Map<String, JsonNode> extra) {

    public ChatRequest {
        extra = extra == null ? new LinkedHashMap<>() : extra;
    }

    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }

    /** True when the request offers the model at least one tool. */
    public boolean hasTools() {
        return tools != null && !tools.isEmpty();
    }

    public boolean streaming() {
        return Boolean.TRUE.equals(stream);
    }

    /** This request to be answered whole: without {@code stream} and {@code stream_options}. */
    public ChatRequest answeredWhole() {
        if (stream == null && !extra.containsKey("stream_options")) {
            return this;
        }
        Map<String, JsonNode> rest = new LinkedHashMap<>(extra);
        rest.remove("stream_options");
        return new ChatRequest(model, messages, null, maxTokens, maxCompletionTokens, temperature, topP, stop, tools,
                toolChoice, responseFormat, rest);
    }

    public ChatRequest withModel(String upstreamModel) {
        return new ChatRequest(upstreamModel, messages, stream, maxTokens, maxCompletionTokens, temperature, topP,
                stop, tools, toolChoice, responseFormat, extra);
    }
}
