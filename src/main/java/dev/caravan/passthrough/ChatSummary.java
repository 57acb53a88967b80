package dev.caravan.passthrough;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.caravan.chat.ChatResponse;
import dev.caravan.chat.Usage;
import dev.caravan.provider.FailureClass;
import dev.caravan.provider.ProviderFailure;

/**
 * What the gateway reads of a passed-through {@code chat.completion}: id, created, model, each choice's finish reason
 * and the usage, in one streaming pass that skips the messages themselves (the client gets them as they are). Refused
 * as the dialect refuses it: a body that is not JSON, or has no choice, is a bad response.
 *
 * <p>Field names are matched byte for byte against the names a provider writes, in the order OpenAI writes them
 * ({@link JsonParser#nextFieldName(SerializableString)}), before the parser would hash and look up a name it reads:
 * most names of an answer are long ({@code completion_tokens_details}), and hashing them was most of the reading. A
 * name out of that order is read as before, and reading goes on expecting the name after it.
 *
 * <p>The usage is read token by token where it has the usual shape (whole counts, detail objects of whole counts):
 * binding it through databind cost a deserialization context and a property buffer per answer. Any other shape (a
 * count as a float or a string, a number past an int, a repeated name, a detail that is not a count) is read again
 * by the {@link Usage} record's own binding, so what the gateway makes of an odd usage is databind's, as before.
 */
final class ChatSummary {

    /** The names of a {@code chat.completion}, a choice, its usage and the usage's details, in OpenAI's order. */
    private static final SerializedString[] TOP = names("id", "object", "created", "model", "choices", "usage",
            "system_fingerprint");
    private static final SerializedString[] CHOICE = names("index", "message", "logprobs", "finish_reason");
    private static final SerializedString[] USAGE = names("prompt_tokens", "completion_tokens", "total_tokens",
            "prompt_tokens_details", "completion_tokens_details");
    private static final SerializedString[] PROMPT_DETAILS = names("cached_tokens", "audio_tokens");
    private static final SerializedString[] COMPLETION_DETAILS = names("reasoning_tokens", "audio_tokens",
            "accepted_prediction_tokens", "rejected_prediction_tokens");

    private ChatSummary() {
    }

    private static SerializedString[] names(String... names) {
        SerializedString[] serialized = new SerializedString[names.length];
        for (int i = 0; i < names.length; i++) {
            serialized[i] = new SerializedString(names[i]);
            serialized[i].asQuotedUTF8(); // encoded once, here, not by the first answer to race for it
        }
        return serialized;
    }

    /**
     * The field names of one object as the parser reaches them, each tried first as the name expected next: the one
     * after the last name read in the usual order.
     */
    private static final class Names {

        private final SerializedString[] order;
        private int expected;

        Names(SerializedString[] order) {
            this.order = order;
        }

        /** The next field name (the parser on it), or null at the object's end. */
        String next(JsonParser parser) throws IOException {
            if (expected < order.length) {
                if (parser.nextFieldName(order[expected])) {
                    return order[expected++].getValue();
                }
            } else {
                parser.nextToken();
            }
            if (parser.currentToken() != JsonToken.FIELD_NAME) {
                return null;
            }
            String name = parser.currentName();
            for (int i = 0; i < order.length; i++) {
                if (order[i].getValue().equals(name)) {
                    expected = i + 1;
                    break;
                }
            }
            return name;
        }
    }

    static ChatResponse of(ObjectMapper json, byte[] body, String upstreamModel) {
        return of(usageReader(json), body, upstreamModel);
    }

    /** The reader {@link #of(ObjectReader, byte[], String)} reads usage with: made once, its deserializer found once. */
    static ObjectReader usageReader(ObjectMapper json) {
        return json.readerFor(Usage.class);
    }

    static ChatResponse of(ObjectReader usageReader, byte[] body, String upstreamModel) {
        // a mapper that reads whole numbers as longs or big integers makes other nodes of the details
        boolean quick = !usageReader.isEnabled(DeserializationFeature.USE_LONG_FOR_INTS)
                && !usageReader.isEnabled(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);
        ChatResponse read = quick ? read(usageReader, body, upstreamModel, true) : null;
        return read != null ? read : read(usageReader, body, upstreamModel, false);
    }

    /**
     * The summary of {@code body}, or null when {@code quickUsage} and the usage has a shape only databind reads as
     * it should.
     */
    private static ChatResponse read(ObjectReader usageReader, byte[] body, String upstreamModel,
            boolean quickUsage) {
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
            Names names = new Names(TOP);
            for (String name = names.next(parser); name != null; name = names.next(parser)) {
                JsonToken value = parser.nextToken();
                switch (name) {
                    case "id" -> id = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    case "created" -> created = value.isNumeric() ? parser.getLongValue() : null;
                    case "model" -> model = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                    case "usage" -> {
                        if (value != JsonToken.START_OBJECT) {
                            usage = null;
                        } else if (!quickUsage) {
                            usage = usageReader.readValue(parser);
                        } else {
                            usage = usage(parser, usageReader.getConfig().getNodeFactory());
                            if (usage == null) {
                                return null;
                            }
                        }
                    }
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

    /**
     * The usage object the parser is on the opening brace of, as {@link Usage}'s binding makes it, or null when it
     * holds anything but whole counts that fit an int, nulls for the three counts, and objects of such counts.
     */
    private static Usage usage(JsonParser parser, JsonNodeFactory nodes) throws IOException {
        Integer prompt = null;
        Integer completion = null;
        Integer total = null;
        int seen = 0;
        Map<String, JsonNode> extra = null;
        Names names = new Names(USAGE);
        for (String name = names.next(parser); name != null; name = names.next(parser)) {
            JsonToken value = parser.nextToken();
            int bit = switch (name) {
                case "prompt_tokens" -> 1;
                case "completion_tokens" -> 2;
                case "total_tokens" -> 4;
                default -> 0;
            };
            if (bit != 0) {
                if ((seen & bit) != 0) {
                    return null;
                }
                seen |= bit;
                Integer count;
                if (value == JsonToken.VALUE_NULL) {
                    count = null;
                } else if (isInt(parser, value)) {
                    count = parser.getIntValue();
                } else {
                    return null;
                }
                switch (bit) {
                    case 1 -> prompt = count;
                    case 2 -> completion = count;
                    default -> total = count;
                }
                continue;
            }
            JsonNode node;
            if (isInt(parser, value)) {
                node = nodes.numberNode(parser.getIntValue());
            } else if (value == JsonToken.START_OBJECT) {
                node = counts(parser, nodes, name.equals("completion_tokens_details") ? COMPLETION_DETAILS
                        : PROMPT_DETAILS);
                if (node == null) {
                    return null;
                }
            } else {
                return null;
            }
            if (extra == null) {
                extra = new HashMap<>(); // the map databind hands a record's any-setter
            }
            if (extra.put(name, node) != null) {
                return null;
            }
        }
        return new Usage(prompt, completion, total, extra != null ? extra : new HashMap<>());
    }

    /** An object of whole counts (a usage detail), or null for any other object. */
    private static ObjectNode counts(JsonParser parser, JsonNodeFactory nodes, SerializedString[] order)
            throws IOException {
        ObjectNode counts = nodes.objectNode();
        Names names = new Names(order);
        for (String name = names.next(parser); name != null; name = names.next(parser)) {
            if (!isInt(parser, parser.nextToken()) || counts.replace(name, nodes.numberNode(parser.getIntValue()))
                    != null) {
                return null;
            }
        }
        return counts;
    }

    private static boolean isInt(JsonParser parser, JsonToken value) throws IOException {
        return value == JsonToken.VALUE_NUMBER_INT && parser.getNumberType() == JsonParser.NumberType.INT;
    }

    /** One choice, the parser on its opening brace: its index and finish reason; its message is skipped. */
    private static ChatResponse.Choice choice(JsonParser parser, int position) throws IOException {
        Integer index = position;
        String finish = null;
        Names names = new Names(CHOICE);
        for (String name = names.next(parser); name != null; name = names.next(parser)) {
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
