package dev.caravan.chat;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/** Token usage as the provider reported it; the detail objects (cached, reasoning tokens) are kept in {@code extra}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Usage(
        @JsonProperty("prompt_tokens") Integer promptTokens,
        @JsonProperty("completion_tokens") Integer completionTokens,
        @JsonProperty("total_tokens") Integer totalTokens,
        @JsonAnySetter Map<String, JsonNode> extra) {

    public Usage {
        extra = extra == null ? new LinkedHashMap<>() : extra;
    }

    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }
}
