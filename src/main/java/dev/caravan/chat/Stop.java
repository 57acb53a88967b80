package dev.caravan.chat;

import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;

/**
 * The sequences that end the answer, as a string or an array of strings; written back in the form it came in.
 *
 * @param single true when it came as one string rather than an array
 */
@JsonDeserialize(using = Stop.Reader.class)
public record Stop(List<String> sequences, boolean single) {

    public Stop {
        sequences = List.copyOf(sequences);
    }

    public static Stop of(String... sequences) {
        return new Stop(List.of(sequences), false);
    }

    @JsonValue
    Object json() {
        return single && sequences.size() == 1 ? sequences.getFirst() : sequences;
    }

    static final class Reader extends StdDeserializer<Stop> {

        Reader() {
            super(Stop.class);
        }

        @Override
        public Stop deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            if (parser.currentToken() == JsonToken.VALUE_STRING) {
                return new Stop(List.of(parser.getText()), true);
            }
            if (parser.currentToken() == JsonToken.START_ARRAY) {
                return new Stop(List.of(context.readValue(parser, String[].class)), false);
            }
            return (Stop) context.handleUnexpectedToken(Stop.class, parser);
        }
    }
}
