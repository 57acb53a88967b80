package dev.caravan.chat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/** The canonical chat response: an OpenAI {@code chat.completion} object. Unnamed fields are kept in {@code extra}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatResponse(
        String id,
        String object,
        Long created,
        String model,
        List<Choice> choices,
        Usage usage,
        @JsonProperty("system_fingerprint") String systemFingerprint,
        @JsonAnySetter Map<String, JsonNode> extra) {

    public ChatResponse {
        extra = extra == null ? new LinkedHashMap<>() : extra;
    }

    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Choice(
            Integer index,
            ChatMessage message,
            @JsonProperty("finish_reason") String finishReason,
            JsonNode logprobs) {
    }
}
