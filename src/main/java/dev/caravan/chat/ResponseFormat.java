package dev.caravan.chat;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * The form of the answer: {@code text}, {@code json_object}, or {@code json_schema} with its schema. Fields not
 * named here are kept in {@code extra}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ResponseFormat(String type, @JsonProperty("json_schema") JsonSchema jsonSchema,
        @JsonAnySetter Map<String, JsonNode> extra) {

    public ResponseFormat {
        extra = extra == null ? new LinkedHashMap<>() : extra;
    }

    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }

    /** True for {@code json_object} and {@code json_schema}: the answer must be JSON. */
    public boolean wantsJson() {
        return "json_object".equals(type) || "json_schema".equals(type);
    }

    /** The schema of a {@code json_schema} format, or null. */
    public JsonNode schema() {
        return "json_schema".equals(type) && jsonSchema != null ? jsonSchema.schema() : null;
    }

    /** @param schema the JSON Schema the answer must follow, kept as JSON since any schema may stand there */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record JsonSchema(String name, String description, JsonNode schema, Boolean strict,
            @JsonAnySetter Map<String, JsonNode> extra) {

        public JsonSchema {
            extra = extra == null ? new LinkedHashMap<>() : extra;
        }

        @JsonAnyGetter
        public Map<String, JsonNode> extra() {
            return extra;
        }
    }
}
