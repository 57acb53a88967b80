package dev.caravan.chat;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;

/**
 * A tool call of an assistant message: {@code {"id", "type": "function", "function": {"name", "arguments"}}}.
 * Fields not named here (Gemini's {@code extra_content.google.thought_signature}, a {@code custom} call's object)
 * are kept in {@code extra}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ToolCall(String id, String type, Function function, @JsonAnySetter Map<String, JsonNode> extra) {

    public ToolCall {
        extra = extra == null ? new LinkedHashMap<>() : extra;
    }

    /** A function call with its arguments as JSON text. */
    public static ToolCall function(String id, String name, String arguments) {
        return new ToolCall(id, "function", new Function(name, arguments, null), null);
    }

    @JsonAnyGetter
    public Map<String, JsonNode> extra() {
        return extra;
    }

    /**
     * @param arguments the arguments as JSON text, as OpenAI sends them; a server that sends an object instead has
     *                  it read as its JSON text
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Function(String name, @JsonDeserialize(using = JsonText.class) String arguments,
            @JsonAnySetter Map<String, JsonNode> extra) {

        public Function {
            extra = extra == null ? new LinkedHashMap<>() : extra;
        }

        @JsonAnyGetter
        public Map<String, JsonNode> extra() {
            return extra;
        }
    }

    /** A string as it is; any other JSON value as its JSON text. */
    static final class JsonText extends StdDeserializer<String> {

        JsonText() {
            super(String.class);
        }

        @Override
        public String deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            if (parser.currentToken() == JsonToken.VALUE_STRING) {
                return parser.getText();
            }
            return context.readTree(parser).toString();
        }
    }
}
