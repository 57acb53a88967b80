package dev.caravan.chat;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;

/**
 * Which tool the model must call: a mode ({@code none}, {@code auto}, {@code required}) given as a string, or an
 * object naming one tool ({@code {"type": "function", "function": {"name": ...}}}, {@code custom}, or
 * {@code allowed_tools}, kept whole in the object's {@code extra}).
 *
 * @param mode  the mode when given as a string, else null
 * @param named the object when given as one, else null
 */
@JsonDeserialize(using = ToolChoice.Reader.class)
public record ToolChoice(String mode, Named named) {

    public static ToolChoice mode(String mode) {
        return new ToolChoice(mode, null);
    }

    public static ToolChoice function(String name) {
        return new ToolChoice(null, new Named("function", new Name(name, null), null, null));
    }

    /** The name of the function this choice forces, or null when it forces none. */
    public String functionName() {
        if (named == null) {
            return null;
        }
        Name name = named.function() != null ? named.function() : named.custom();
        return name == null ? null : name.name();
    }

    @JsonValue
    Object json() {
        return mode != null ? mode : named;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Named(String type, Name function, Name custom, @JsonAnySetter Map<String, JsonNode> extra) {

        public Named {
            extra = extra == null ? new LinkedHashMap<>() : extra;
        }

        @JsonAnyGetter
        public Map<String, JsonNode> extra() {
            return extra;
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Name(String name, @JsonAnySetter Map<String, JsonNode> extra) {

        public Name {
            extra = extra == null ? new LinkedHashMap<>() : extra;
        }

        @JsonAnyGetter
        public Map<String, JsonNode> extra() {
            return extra;
        }
    }

    static final class Reader extends StdDeserializer<ToolChoice> {

        Reader() {
            super(ToolChoice.class);
        }

        @Override
        public ToolChoice deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            if (parser.currentToken() == JsonToken.VALUE_STRING) {
                return mode(parser.getText());
            }
            if (parser.currentToken() == JsonToken.START_OBJECT) {
                return new ToolChoice(null, context.readValue(parser, Named.class));
            }
            return (ToolChoice) context.handleUnexpectedToken(ToolChoice.class, parser);
        }
    }
}
