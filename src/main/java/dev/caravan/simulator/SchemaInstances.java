package dev.caravan.simulator;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dk.brics.automaton.Automaton;
import dk.brics.automaton.BasicAutomata;
import dk.brics.automaton.RegExp;

/**
 * One JSON value that a JSON schema accepts, as a model bound to structured output answers: it walks the schema's
 * types, properties (declared order, all of them), enums and consts, arrays and their bounds, string lengths,
 * formats and patterns, number ranges and multiples, local {@code $ref}s, {@code allOf}, {@code anyOf} and
 * {@code oneOf} (first non-null branch). Gemini's OpenAPI-style schemas ({@code "type": "OBJECT"}) read the same.
 * Deterministic: the same schema and text give the same value. The first free-text string carries {@code text}
 * (the simulated reply), so the answer still says who answered what.
 *
 * <p>Written here because no maintained Java library generates instances from a schema; string patterns are
 * solved with the dk.brics automaton library.
 */
final class SchemaInstances {

    private static final int MAX_DEPTH = 12;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final JsonNode root;
    private String text;

    private SchemaInstances(JsonNode root, String text) {
        this.root = root;
        this.text = text;
    }

    /** A value {@code schema} accepts, its first free-text string being {@code text}. */
    static JsonNode instance(JsonNode schema, String text) {
        return new SchemaInstances(schema, text).value(schema, "value", 0, 0);
    }

    /** The same value as compact JSON text. */
    static String json(ObjectMapper json, JsonNode schema, String text) {
        try {
            return json.writeValueAsString(instance(schema, text));
        } catch (Exception e) {
            throw new IllegalStateException("cannot write a generated instance", e);
        }
    }

    private JsonNode value(JsonNode schema, String name, int variant, int depth) {
        schema = resolve(schema, 0);
        if (schema == null || schema.isMissingNode() || schema.isBoolean() && schema.asBoolean()) {
            return NODES.textNode("simulated " + name);
        }
        if (schema.has("const")) {
            return schema.get("const");
        }
        if (schema.path("enum").isArray() && !schema.get("enum").isEmpty()) {
            JsonNode values = schema.get("enum");
            return values.get(Math.min(variant, values.size() - 1));
        }
        if (schema.path("allOf").isArray()) {
            return value(merged(schema), name, variant, depth);
        }
        for (String keyword : List.of("anyOf", "oneOf")) {
            if (schema.path(keyword).isArray() && !schema.get(keyword).isEmpty()) {
                return value(branch(schema.get(keyword)), name, variant, depth);
            }
        }
        return switch (type(schema)) {
            case "object" -> object(schema, variant, depth);
            case "array" -> array(schema, name, depth);
            case "integer" -> NODES.numberNode(integer(schema, variant));
            case "number" -> NODES.numberNode(number(schema, variant));
            case "boolean" -> NODES.booleanNode(variant % 2 == 0);
            case "null" -> NODES.nullNode();
            default -> NODES.textNode(string(schema, name, variant));
        };
    }

    /** A {@code $ref} into this document ({@code #/$defs/x}, {@code #/definitions/x}, {@code #}), followed. */
    private JsonNode resolve(JsonNode schema, int hops) {
        if (schema == null || !schema.path("$ref").isTextual() || hops > 32) {
            return schema;
        }
        String ref = schema.get("$ref").asText();
        if (!ref.startsWith("#")) {
            return schema; // remote references are not followed: the schema's other keywords decide
        }
        String pointer = ref.substring(1);
        JsonNode target = pointer.isEmpty() ? root : root.at(pointer);
        return target.isMissingNode() ? schema : resolve(target, hops + 1);
    }

    private static String type(JsonNode schema) {
        JsonNode type = schema.get("type");
        if (type != null && type.isArray()) {
            for (JsonNode t : type) {
                if (!"null".equalsIgnoreCase(t.asText())) {
                    return t.asText().toLowerCase(Locale.ROOT);
                }
            }
            return "null";
        }
        if (type != null && type.isTextual()) {
            return type.asText().toLowerCase(Locale.ROOT);
        }
        if (schema.has("properties") || schema.has("required") || schema.has("additionalProperties")) {
            return "object";
        }
        if (schema.has("items") || schema.has("prefixItems")) {
            return "array";
        }
        if (schema.has("minimum") || schema.has("maximum") || schema.has("multipleOf")) {
            return "number";
        }
        return "string";
    }

    /** The first branch that is not only {@code null} (an optional value is given, not left out). */
    private JsonNode branch(JsonNode branches) {
        for (JsonNode branch : branches) {
            JsonNode resolved = resolve(branch, 0);
            if (!"null".equalsIgnoreCase(resolved.path("type").asText())) {
                return branch;
            }
        }
        return branches.get(0);
    }

    /** The {@code allOf} parts and the schema's own keywords in one schema: properties and required add up. */
    private JsonNode merged(JsonNode schema) {
        ObjectNode merged = NODES.objectNode();
        List<JsonNode> parts = new ArrayList<>();
        schema.get("allOf").forEach(part -> parts.add(resolve(part, 0)));
        ObjectNode own = schema.deepCopy();
        own.remove("allOf");
        parts.add(own);
        ObjectNode properties = NODES.objectNode();
        ArrayNode required = NODES.arrayNode();
        for (JsonNode part : parts) {
            part.fields().forEachRemaining(field -> {
                switch (field.getKey()) {
                    case "properties" -> properties.setAll((ObjectNode) field.getValue());
                    case "required" -> required.addAll((ArrayNode) field.getValue());
                    default -> merged.set(field.getKey(), field.getValue());
                }
            });
        }
        if (!properties.isEmpty()) {
            merged.set("properties", properties);
        }
        if (!required.isEmpty()) {
            merged.set("required", required);
        }
        return merged;
    }

    private JsonNode object(JsonNode schema, int variant, int depth) {
        ObjectNode object = NODES.objectNode();
        List<String> required = new ArrayList<>();
        schema.path("required").forEach(r -> required.add(r.asText()));
        Map<String, JsonNode> properties = new LinkedHashMap<>();
        schema.path("properties").fields().forEachRemaining(f -> properties.put(f.getKey(), f.getValue()));
        for (Map.Entry<String, JsonNode> property : properties.entrySet()) {
            // deep inside a recursive schema only what is required is given, so the value stays finite
            if (depth < MAX_DEPTH || required.contains(property.getKey())) {
                object.set(property.getKey(), value(property.getValue(), property.getKey(), variant, depth + 1));
            }
        }
        for (String name : required) {
            if (!object.has(name)) {
                object.set(name, value(extra(schema), name, variant, depth + 1));
            }
        }
        int minProperties = schema.path("minProperties").asInt(0);
        for (int i = 0; object.size() < minProperties && !schema.path("additionalProperties").isBoolean(); i++) {
            object.set("extra_" + i, value(extra(schema), "extra_" + i, i, depth + 1));
        }
        return object;
    }

    /** The schema for properties not declared: {@code additionalProperties} when it is one, else anything. */
    private static JsonNode extra(JsonNode schema) {
        JsonNode additional = schema.get("additionalProperties");
        return additional != null && additional.isObject() ? additional : null;
    }

    private JsonNode array(JsonNode schema, String name, int depth) {
        ArrayNode array = NODES.arrayNode();
        JsonNode prefix = schema.path("prefixItems");
        int min = schema.path("minItems").asInt(0);
        int max = schema.has("maxItems") ? schema.get("maxItems").asInt() : Integer.MAX_VALUE;
        int count = Math.min(max, Math.max(Math.max(min, prefix.size()), depth < MAX_DEPTH ? 1 : 0));
        for (int i = 0; i < count; i++) {
            JsonNode items = i < prefix.size() ? prefix.get(i) : schema.get("items");
            if (items != null && items.isBoolean() && !items.asBoolean()) {
                break;
            }
            // each item a variant of its own, so that uniqueItems holds
            array.add(value(items, name, i, depth + 1));
        }
        return array;
    }

    private static long integer(JsonNode schema, int variant) {
        double low = schema.has("minimum") ? schema.get("minimum").asDouble() : Double.NEGATIVE_INFINITY;
        double high = schema.has("maximum") ? schema.get("maximum").asDouble() : Double.POSITIVE_INFINITY;
        if (schema.path("exclusiveMinimum").isNumber()) {
            low = Math.max(low, Math.floor(schema.get("exclusiveMinimum").asDouble()) + 1);
        }
        if (schema.path("exclusiveMaximum").isNumber()) {
            high = Math.min(high, Math.ceil(schema.get("exclusiveMaximum").asDouble()) - 1);
        }
        long value = Math.max((long) Math.ceil(low), Math.min((long) Math.floor(high), 42L + variant));
        long step = schema.path("multipleOf").isNumber() ? Math.max(1, schema.get("multipleOf").asLong()) : 1;
        long stepped = Math.floorDiv(value, step) * step;
        return stepped < low ? stepped + step : stepped;
    }

    private static double number(JsonNode schema, int variant) {
        double low = schema.has("minimum") ? schema.get("minimum").asDouble() : Double.NEGATIVE_INFINITY;
        double high = schema.has("maximum") ? schema.get("maximum").asDouble() : Double.POSITIVE_INFINITY;
        boolean lowOpen = schema.path("exclusiveMinimum").isNumber();
        boolean highOpen = schema.path("exclusiveMaximum").isNumber();
        if (lowOpen) {
            low = Math.max(low, schema.get("exclusiveMinimum").asDouble());
        }
        if (highOpen) {
            high = Math.min(high, schema.get("exclusiveMaximum").asDouble());
        }
        double value = 4.25 + variant;
        if (schema.path("multipleOf").isNumber()) {
            double step = schema.get("multipleOf").asDouble();
            double start = Double.isInfinite(low) ? Math.floor(value / step) : Math.floor(low / step) + 1;
            for (double k = start; ; k++) { // the first multiple inside the range
                double candidate = k * step;
                if ((candidate > low || !lowOpen && candidate == low) && (candidate < high || !highOpen
                        && candidate == high) || k > start + 1000) {
                    return candidate;
                }
            }
        }
        if (value < low || lowOpen && value == low || value > high || highOpen && value == high) {
            value = Double.isInfinite(low) ? high - 1 : Double.isInfinite(high) ? low + 1 : (low + high) / 2;
        }
        return value;
    }

    private String string(JsonNode schema, String name, int variant) {
        String format = schema.path("format").asText("");
        String value = switch (format) {
            case "date-time" -> "2026-01-0" + (1 + variant % 9) + "T12:00:00Z";
            case "date" -> "2026-01-0" + (1 + variant % 9);
            case "time" -> "12:00:0" + variant % 10 + "Z";
            case "duration" -> "PT" + (1 + variant) + "S";
            case "email" -> "simulated" + (variant == 0 ? "" : variant) + "@example.com";
            case "hostname" -> "simulated" + (variant == 0 ? "" : variant) + ".example.com";
            case "ipv4" -> "192.0.2." + (1 + variant % 250);
            case "ipv6" -> "2001:db8::" + Integer.toHexString(1 + variant);
            case "uri", "url" -> "https://example.com/simulated/" + name + (variant == 0 ? "" : "/" + variant);
            case "uuid" -> UUID.nameUUIDFromBytes((name + variant).getBytes()).toString();
            default -> null;
        };
        if (value == null) {
            // the first free text carries the reply; later ones name their field
            value = text != null ? text : "simulated " + name + (variant == 0 ? "" : " " + variant);
            text = null;
        }
        int min = schema.path("minLength").asInt(0);
        int max = schema.has("maxLength") ? schema.get("maxLength").asInt() : Integer.MAX_VALUE;
        if (value.length() > max) {
            value = value.substring(0, max);
        }
        if (value.length() < min) {
            value = value + ".".repeat(min - value.length());
        }
        return schema.path("pattern").isTextual() ? matching(schema.get("pattern").asText(), value, min, max) : value;
    }

    /** {@code value} when the pattern finds a match in it, else the shortest string the pattern matches whole. */
    private static String matching(String pattern, String value, int min, int max) {
        try {
            if (Pattern.compile(pattern).matcher(value).find()) {
                return value;
            }
        } catch (PatternSyntaxException e) {
            return value;
        }
        String regex = pattern.replace("\\d", "[0-9]").replace("\\w", "[a-zA-Z0-9_]").replace("\\s", "[ ]");
        regex = regex.startsWith("^") ? regex.substring(1) : regex;
        regex = regex.endsWith("$") && !regex.endsWith("\\$") ? regex.substring(0, regex.length() - 1) : regex;
        try {
            Automaton automaton = new RegExp(regex, RegExp.NONE).toAutomaton();
            Automaton bounded = automaton.intersection(BasicAutomata.makeAnyChar()
                    .repeat(min, max == Integer.MAX_VALUE ? Math.max(min, 64) : max));
            String example = bounded.getShortestExample(true);
            return example != null ? example : value;
        } catch (IllegalArgumentException e) {
            return value; // a pattern the automaton library cannot read: the text stays as it is
        }
    }
}
