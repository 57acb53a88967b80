package dev.caravan.chat;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A tool the model may call: {@code {"type": "function", "function": {...}}}. Other tool types ({@code custom})
 * keep their own object in {@code extra}, as does anything else not named here.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Tool(String type, Function function, @JsonAnySetter Map<String, JsonNode> extra) {

    public Tool {
        extra = extra == null ? new LinkedHashMap<>() : extra;
    }

    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }

    /** True for a function tool (the type defaults to function when it is left out). */
    public boolean declaresFunction() {
        return (type == null || "function".equals(type)) && function != null;
    }

    /**
     * @param parameters the JSON Schema of the arguments, kept as JSON since any schema may stand there
     * @param strict     whether the schema must be followed exactly; null when not said
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Function(String name, String description, JsonNode parameters, Boolean strict,
            @JsonAnySetter Map<String, JsonNode> extra) {

        public Function {
            extra = extra == null ? new LinkedHashMap<>() : extra;
        }

        @JsonAnyGetter
        public Map<String, JsonNode> extra() {
            return extra;
        }
    }
}
