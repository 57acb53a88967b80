package dev.caravan.chat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The requests the request schema admits at a glance, told apart without running the validator: every top-level
 * field the schema names has a flat rule (types, an inclusive range, the not-blank pattern) that the value meets,
 * and every message is of the common form (a system, developer, user or assistant role, text content, perhaps a
 * name). Anything else, or anything in doubt, is left to the validator, so a refusal is always the validator's and
 * worded as before; what this spares is the validator's bookkeeping (an evaluation path per keyword, a few KB per
 * request) for the requests that need none of it.
 *
 * <p>The flat rules are read from the schema document; the message form is the one its {@code $defs/message}
 * admits for these roles ({@code PlainRequestsTest} holds the two together).
 */
final class PlainRequests {

    /** The keywords of a rule read in one look; a property with any other is left to the validator. */
    private static final Set<String> FLAT = Set.of("type", "minimum", "maximum", "pattern", "description",
            "$comment");
    private static final String NOT_BLANK = "\\S";
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");
    private static final Set<String> MESSAGE_FIELDS = Set.of("role", "content", "name");
    /** Integers a double holds exactly: beyond them a range check is left to the validator. */
    private static final long EXACT = 1L << 53;

    private final Map<String, Rule> rules = new HashMap<>();
    private final Set<String> named = new HashSet<>();
    private final Set<String> required = new HashSet<>();

    PlainRequests(JsonNode schema) {
        schema.path("required").forEach(name -> required.add(name.asText()));
        schema.path("properties").properties().forEach(property -> {
            named.add(property.getKey());
            Rule rule = Rule.of(property.getValue());
            if (rule != null) {
                rules.put(property.getKey(), rule);
            }
        });
    }

    /** Whether the schema surely admits {@code request}; false says only that the validator must look. */
    boolean admits(JsonNode request) {
        if (!(request instanceof ObjectNode object)) {
            return false;
        }
        for (String name : required) {
            if (!object.has(name)) {
                return false;
            }
        }
        for (Map.Entry<String, JsonNode> field : object.properties()) {
            String name = field.getKey();
            if (name.equals("messages")) {
                if (!plainMessages(field.getValue())) {
                    return false;
                }
                continue;
            }
            Rule rule = rules.get(name);
            if (rule == null ? named.contains(name) : !rule.admits(field.getValue())) {
                return false; // (a field the schema does not name is not checked by it)
            }
        }
        return true;
    }

    private static boolean plainMessages(JsonNode messages) {
        if (!(messages instanceof ArrayNode array) || array.isEmpty()) {
            return false;
        }
        for (JsonNode message : array) {
            if (!(message instanceof ObjectNode object) || !object.path("content").isTextual()
                    || !object.path("role").isTextual() || !ROLES.contains(object.get("role").textValue())) {
                return false;
            }
            JsonNode name = object.get("name");
            if (name != null && !name.isTextual() && !name.isNull()) {
                return false;
            }
            for (Map.Entry<String, JsonNode> field : object.properties()) {
                if (!MESSAGE_FIELDS.contains(field.getKey())) {
                    return false;
                }
            }
        }
        return true;
    }

    /** A flat rule: the JSON types allowed, an inclusive range for numbers, and whether a string must not be blank. */
    private record Rule(Set<String> types, Double minimum, Double maximum, boolean notBlank) {

        /** The rule of a property schema, or null when it has more than a flat rule. */
        static Rule of(JsonNode schema) {
            for (var keyword : schema.properties()) {
                if (!FLAT.contains(keyword.getKey())) {
                    return null;
                }
            }
            JsonNode type = schema.get("type");
            Set<String> types = new HashSet<>();
            if (type != null && type.isTextual()) {
                types.add(type.textValue());
            } else if (type != null && type.isArray()) {
                type.forEach(t -> types.add(t.asText()));
            } else {
                return null;
            }
            JsonNode pattern = schema.get("pattern");
            if (pattern != null && !NOT_BLANK.equals(pattern.asText())) {
                return null;
            }
            JsonNode minimum = schema.get("minimum");
            JsonNode maximum = schema.get("maximum");
            if (minimum != null && !minimum.isNumber() || maximum != null && !maximum.isNumber()) {
                return null;
            }
            return new Rule(Set.copyOf(types), minimum == null ? null : minimum.doubleValue(),
                    maximum == null ? null : maximum.doubleValue(), pattern != null);
        }

        boolean admits(JsonNode value) {
            return switch (value.getNodeType()) {
                case NULL -> types.contains("null");
                case BOOLEAN -> types.contains("boolean");
                case OBJECT -> types.contains("object");
                case ARRAY -> types.contains("array");
                case STRING -> types.contains("string") && (!notBlank || visible(value.textValue()));
                case NUMBER -> number(value);
                default -> false;
            };
        }

        private boolean number(JsonNode value) {
            if (value.isInt() || value.isLong()) {
                if (!types.contains("integer") && !types.contains("number") || Math.abs(value.longValue()) > EXACT) {
                    return false;
                }
            } else if (!(value.isDouble() || value.isFloat()) || !types.contains("number")) {
                return false; // (a big or exact decimal, or 1.0 where a whole number is asked: the validator decides)
            }
            double d = value.doubleValue();
            return (minimum == null || d >= minimum) && (maximum == null || d <= maximum);
        }

        /** Holds a printable ASCII character, which is {@code \S} in every regular expression dialect. */
        private static boolean visible(String text) {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c > ' ' && c < 0x7f) {
                    return true;
                }
            }
            return false;
        }
    }
}
