package dev.caravan.chat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The canonical chat request: an OpenAI Chat Completions request.
 *
 * <p>The fields routing and the dialects read are typed (each typed part keeps the fields it does not name in an
 * {@code extra} of its own); every other top-level field the caller sent is kept in {@code extra} and forwarded as
 * is, so nothing the caller asked of an OpenAI-compatible upstream is silently dropped. {@code extra} may be read only
 * (a request without other fields shares the empty map): whatever changes it copies it first.
 * {@code model} is the caller's model alias until {@link #withModel} replaces it with a target's upstream model.
 * {@code clientHeaders} are protocol headers of the client's own ({@link ClientHeaders}), set by the gateway from real
 * headers only: never read from nor written to JSON, so a body field of any name is just another field of {@code extra}.
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
        @JsonAnySetter Map<String, JsonNode> extra,
        @JsonIgnore Map<String, String> clientHeaders) {

    public ChatRequest {
        extra = extra == null ? new LinkedHashMap<>() : extra;
        clientHeaders = clientHeaders == null ? Map.of() : Map.copyOf(clientHeaders);
    }

    /** A request without client headers: what every client but a Messages one sends. */
    public ChatRequest(String model, List<ChatMessage> messages, Boolean stream, Integer maxTokens,
            Integer maxCompletionTokens, Double temperature, Double topP, Stop stop, List<Tool> tools,
            ToolChoice toolChoice, ResponseFormat responseFormat, Map<String, JsonNode> extra) {
        this(model, messages, stream, maxTokens, maxCompletionTokens, temperature, topP, stop, tools, toolChoice,
                responseFormat, extra, Map.of());
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
                toolChoice, responseFormat, rest, clientHeaders);
    }

    public ChatRequest withModel(String upstreamModel) {
        return new ChatRequest(upstreamModel, messages, stream, maxTokens, maxCompletionTokens, temperature, topP,
                stop, tools, toolChoice, responseFormat, extra, clientHeaders);
    }

    /** This request carrying {@code headers} the client sent for a target of its own protocol. */
    public ChatRequest withClientHeaders(Map<String, String> headers) {
        return new ChatRequest(model, messages, stream, maxTokens, maxCompletionTokens, temperature, topP, stop, tools,
                toolChoice, responseFormat, extra, headers);
    }
}
