package dev.caravan.passthrough;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Usage;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;

/**
 * What the gateway reads of a passed-through {@code chat.completion}: id, created, model, each choice's finish reason
 * and the usage, in one streaming pass that skips the messages themselves (the client gets them as they are). Refused
 * as the dialect refuses it: a body that is not JSON, or has no choice, is a bad response.
 */
final class ChatSummary {

    private ChatSummary() {
    }

    static ChatResponse of(ObjectMapper json, byte[] body, String upstreamModel) {
        return of(usageReader(json), body, upstreamModel);
    }

    /** The reader {@link #of(ObjectReader, byte[], String)} reads usage with: made once, its deserializer found once. */
    static ObjectReader usageReader(ObjectMapper json) {
        return json.readerFor(Usage.class);
    }

    static ChatResponse of(ObjectReader usageReader, byte[] body, String upstreamModel) {
        String id = null;
        Long created = null;
        String model = null;
        Usage usage = null;
        List<ChatResponse.Choice> choices = new ArrayList<>();
        boolean sawChoices = false;
        try (JsonParser parser = usageReader.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw notACompletion();
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                switch (name) {
                    case "id" -> id = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    case "created" -> created = value.isNumeric() ? parser.getLongValue() : null;
                    case "model" -> model = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    case "usage" -> usage = value == JsonToken.START_OBJECT ? usageReader.readValue(parser) : null;
                    case "choices" -> {
                        sawChoices = value == JsonToken.START_ARRAY;
                        if (sawChoices) {
                            while (parser.nextToken() == JsonToken.START_OBJECT) {
                                choices.add(choice(parser, choices.size()));
                            }
                        } else {
                            parser.skipChildren();
                        }
                    }
                    default -> parser.skipChildren();
                }
            }
            if (parser.currentToken() != JsonToken.END_OBJECT || parser.nextToken() != null) {
                throw notACompletion();
            }
        } catch (IOException e) {
            throw notACompletion();
        }
        if (!sawChoices || choices.isEmpty()) {
            throw new ProviderFailure(FailureClass.BAD_RESPONSE, 200, "the provider answered 200 without any choice",
                    null);
        }
        return new ChatResponse(id, "chat.completion", created, model != null ? model : upstreamModel, choices, usage,
                null, null);
    }

    /** One choice, the parser on its opening brace: its index and finish reason; its message is skipped. */
    private static ChatResponse.Choice choice(JsonParser parser, int position) throws IOException {
        Integer index = position;
        String finish = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (name.equals("finish_reason") && value == JsonToken.VALUE_STRING) {
                finish = parser.getText();
            } else if (name.equals("index") && value == JsonToken.VALUE_NUMBER_INT) {
                index = parser.getIntValue();
            } else {
                parser.skipChildren();
            }
        }
        return new ChatResponse.Choice(index, null, finish, null);
    }

    private static ProviderFailure notACompletion() {
        return new ProviderFailure(FailureClass.BAD_RESPONSE, 200,
                "the provider answered 200 with a body that is not a chat completion", null);
    }
}
