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
 * A message's content as the OpenAI wire allows it: a string, an array of typed parts, or an explicit null (an
 * assistant turn that only calls tools). The null is kept as {@link #NONE} so that a message passed through is
 * written back as it came.
 *
 * @param text  the content when it is a string, else null
 * @param parts the content when it is an array of parts, else null
 */
@JsonDeserialize(using = Content.Reader.class)
public record Content(String text, List<ContentPart> parts) {

    /** An explicit {@code "content": null}. */
    public static final Content NONE = new Content(null, null);

    public Content {
        parts = parts == null ? null : List.copyOf(parts);
    }

    public static Content of(String text) {
        return new Content(text, null);
    }

    public static Content of(List<ContentPart> parts) {
        return new Content(null, parts);
    }

    /** True when the content is a string. */
    public boolean isText() {
        return text != null;
    }

    /** True when there is no content at all: an explicit null. */
    public boolean isNone() {
        return text == null && parts == null;
    }

    /** The parts of this content: none for a null, one text part for a string. */
    public List<ContentPart> asParts() {
        return parts != null ? parts : text != null ? List.of(ContentPart.text(text)) : List.of();
    }

    /** The string, or the text parts joined by line breaks; empty when there is no text. */
    public String plainText() {
        if (text != null) {
            return text;
        }
        if (parts == null) {
            return "";
        }
        StringBuilder joined = new StringBuilder();
        for (ContentPart part : parts) {
            if ("text".equals(part.type()) && part.text() != null) {
                if (!joined.isEmpty()) {
                    joined.append('\n');
                }
                joined.append(part.text());
            }
        }
        return joined.toString();
    }

    @JsonValue
    Object json() {
        return text != null ? text : parts;
    }

    static final class Reader extends StdDeserializer<Content> {

        Reader() {
            super(Content.class);
        }

        @Override
        public Content deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            if (parser.currentToken() == JsonToken.VALUE_STRING) {
                return of(parser.getText());
            }
            if (parser.currentToken() == JsonToken.START_ARRAY) {
                return of(List.of(context.readValue(parser, ContentPart[].class)));
            }
            return (Content) context.handleUnexpectedToken(Content.class, parser);
        }

        @Override
        public Content getNullValue(DeserializationContext context) {
            return NONE;
        }

        @Override
        public Object getAbsentValue(DeserializationContext context) {
            return null;
        }
    }
}
