package dev.caravan.ingress.gemini;

import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A Gemini {@code Schema} (the OpenAPI 3.0 subset of {@code parameters} and {@code responseSchema}) as the JSON
 * Schema the canonical request carries: types lower-cased, {@code nullable} as a {@code "null"} type, an
 * {@code example} as {@code examples}, and {@code format: enum} and {@code propertyOrdering} (Gemini's own hints,
 * meaningless in JSON Schema, where properties keep their written order) left out. Every other keyword is copied,
 * nested schemas converted in turn.
 */
final class GeminiSchemas {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private GeminiSchemas() {
    }

    static ObjectNode toJsonSchema(JsonNode schema) {
        ObjectNode out = NODES.objectNode();
        if (schema == null || !schema.isObject()) {
            return out;
        }
        boolean nullable = schema.path("nullable").asBoolean(false);
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode value = field.getValue();
            switch (field.getKey()) {
                case "type" -> {
                    String type = value.asText().toLowerCase(Locale.ROOT);
                    if (!type.isEmpty() && !type.equals("type_unspecified")) {
                        if (nullable && !type.equals("null")) {
                            out.putArray("type").add(type).add("null");
                        } else {
                            out.put("type", type);
                        }
                    }
                }
                case "nullable", "propertyOrdering" -> {
                    // folded into the type, or ordering Gemini alone reads
                }
                case "format" -> {
                    if (!"enum".equals(value.asText())) {
                        out.set("format", value);
                    }
                }
                case "example" -> out.putArray("examples").add(value);
                case "properties" -> {
                    ObjectNode properties = out.putObject("properties");
                    value.fields().forEachRemaining(p -> properties.set(p.getKey(), toJsonSchema(p.getValue())));
                }
                case "items" -> out.set("items", toJsonSchema(value));
                case "anyOf" -> {
                    ArrayNode any = out.putArray("anyOf");
                    value.forEach(alternative -> any.add(toJsonSchema(alternative)));
                }
                default -> out.set(field.getKey(), value.deepCopy());
            }
        }
        return out;
    }
}
