package dev.caravan.chat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Binds the common chat request into its record without databind: text messages (a role, text content, perhaps a
 * name), the scalar fields as plain values, every other field kept as it is in {@code extra}. Databind walks the
 * tree through a parser, looks each property up by name, calls the records' constructors reflectively and copies
 * every extra field into a new tree; for a one-line request that was most of the cost of reading it. Anything
 * outside that shape (tools, a stop, a response format, content parts, a tool message, a number that is not a
 * plain int or double, a field named like a record component) is left to databind, so what is bound here is what
 * databind binds ({@code PlainBindingTest} holds the two together).
 */
final class PlainBinding {

    private static final Set<String> MESSAGE_FIELDS = Set.of("role", "content", "name");
    /**
     * Names databind treats apart from an ordinary extra field: the records' own component names (ignored or
     * matched by databind's record handling) and the fields bound to types this class does not read.
     */
    private static final Set<String> LEFT_TO_DATABIND = Set.of("stop", "tools", "tool_choice", "response_format",
            "maxTokens", "maxCompletionTokens", "topP", "toolChoice", "responseFormat", "extra", "clientHeaders");

    private PlainBinding() {
    }

    /** The request bound as databind would bind it, or null when it is not of the common shape. */
    static ChatRequest bind(JsonNode tree) {
        if (!(tree instanceof ObjectNode object)) {
            return null;
        }
        String model = null;
        List<ChatMessage> messages = null;
        Boolean stream = null;
        Integer maxTokens = null;
        Integer maxCompletionTokens = null;
        Double temperature = null;
        Double topP = null;
        List<Map.Entry<String, JsonNode>> extras = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : object.properties()) {
            JsonNode value = field.getValue();
            boolean isNull = value.isNull();
            switch (field.getKey()) {
                case "model" -> {
                    if (!value.isTextual() && !isNull) {
                        return null;
                    }
                    model = value.textValue();
                }
                case "messages" -> {
                    messages = messages(value);
                    if (messages == null) {
                        return null;
                    }
                }
                case "stream" -> {
                    if (!value.isBoolean() && !isNull) {
                        return null;
                    }
                    stream = isNull ? null : value.booleanValue();
                }
                case "max_tokens", "max_completion_tokens" -> {
                    if (!value.isInt() && !isNull) {
                        return null;
                    }
                    Integer count = isNull ? null : value.intValue();
                    if (field.getKey().equals("max_tokens")) {
                        maxTokens = count;
                    } else {
                        maxCompletionTokens = count;
                    }
                }
                case "temperature", "top_p" -> {
                    if (!value.isInt() && !value.isLong() && !value.isDouble() && !isNull) {
                        return null;
                    }
                    Double number = isNull ? null : value.doubleValue();
                    if (field.getKey().equals("temperature")) {
                        temperature = number;
                    } else {
                        topP = number;
                    }
                }
                default -> {
                    if (LEFT_TO_DATABIND.contains(field.getKey())) {
                        return null;
                    }
                    extras.add(field);
                }
            }
        }
        // the map databind's any-setter fills, filled as it does (last field first): the extras are written back to
        // a provider in its order. None is the common case: the shared empty map, not an empty map kept by every call
        // in flight (read only: whatever changes a request's extra fields copies them first)
        Map<String, JsonNode> extra = extras.isEmpty() ? Map.of() : new HashMap<>();
        for (int i = extras.size() - 1; i >= 0; i--) {
            extra.put(extras.get(i).getKey(), extras.get(i).getValue());
        }
        return new ChatRequest(model, messages, stream, maxTokens, maxCompletionTokens, temperature, topP, null,
                null, null, null, extra);
    }

    /** Text messages, or null when any is of another form (or {@code value} is no array of them). */
    private static List<ChatMessage> messages(JsonNode value) {
        if (!(value instanceof ArrayNode array)) {
            return null;
        }
        List<ChatMessage> messages = new ArrayList<>(array.size());
        for (JsonNode element : array) {
            if (!(element instanceof ObjectNode message)) {
                return null;
            }
            JsonNode role = message.get("role");
            JsonNode content = message.get("content");
            JsonNode name = message.get("name");
            if (role == null || !role.isTextual() || content == null || !content.isTextual()
                    || name != null && !name.isTextual() && !name.isNull()) {
                return null;
            }
            for (Map.Entry<String, JsonNode> field : message.properties()) {
                if (!MESSAGE_FIELDS.contains(field.getKey())) {
                    return null;
                }
            }
            messages.add(new ChatMessage(role.textValue(), Content.of(content.textValue()),
                    name == null ? null : name.textValue(), null, null, Map.of()));
        }
        return messages;
    }
}
