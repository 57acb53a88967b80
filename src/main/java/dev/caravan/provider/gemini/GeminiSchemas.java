package dev.caravan.provider.gemini;

import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * OpenAI's JSON Schemas (tool parameters, {@code json_schema} response formats) as Gemini's {@code Schema}, the
 * OpenAPI 3.0 subset that both the Gemini API and Vertex AI accept for {@code parameters} and {@code responseSchema}.
 *
 * <ul>
 *   <li>kept: type (upper-cased), format (only those Gemini knows), title, description, nullable, enum, properties,
 *       required, items, anyOf, min/max items, length, properties, minimum, maximum, pattern, default, example,
 *       propertyOrdering;</li>
 *   <li>rewritten: local {@code $ref}s are inlined (to a depth of 8), {@code oneOf} becomes {@code anyOf}, a type list
 *       or an {@code anyOf} with {@code null} becomes {@code nullable}, {@code const} becomes a one-value enum, and
 *       {@code allOf} is merged into one object;</li>
 *   <li>dropped: everything else, notably {@code additionalProperties}, {@code $schema}, {@code $defs}, {@code strict},
 *       {@code not}, {@code uniqueItems} and enums on non-string types, which Gemini refuses with a 400.</li>
 * </ul>
 */
final class GeminiSchemas {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final int MAX_REF_DEPTH = 8;
    private static final Set<String> COPIED = Set.of("title", "description", "nullable", "minItems", "maxItems",
            "minLength", "maxLength", "minProperties", "maxProperties", "minimum", "maximum", "pattern", "default",
            "example", "propertyOrdering");
    private static final Map<String, Set<String>> FORMATS = Map.of(
            "STRING", Set.of("enum", "date-time"),
            "NUMBER", Set.of("float", "double"),
            "INTEGER", Set.of("int32", "int64"));

    private GeminiSchemas() {
    }

    /** {@code schema} as a Gemini Schema; {@code schema} is also the root its {@code $ref}s point into. */
    static ObjectNode toGeminiSchema(JsonNode schema) {
        return convert(schema, schema, 0);
    }

    /** True for an object schema without properties, which Gemini refuses as function parameters. */
    static boolean isEmptyObject(ObjectNode schema) {
        return "OBJECT".equals(schema.path("type").asText()) && schema.path("properties").isEmpty()
                && !schema.has("anyOf");
    }

    private static ObjectNode convert(JsonNode schema, JsonNode root, int depth) {
        ObjectNode out = NODES.objectNode();
        if (schema == null || !schema.isObject()) {
            return out;
        }
        if (schema.path("$ref").isTextual()) {
            JsonNode target = resolve(root, schema.get("$ref").asText());
            ObjectNode resolved = target == null || depth >= MAX_REF_DEPTH ? NODES.objectNode().put("type", "OBJECT")
                    : convert(target, root, depth + 1);
            if (schema.path("description").isTextual()) {
                resolved.put("description", schema.get("description").asText());
            }
            return resolved;
        }
        JsonNode type = schema.get("type");
        if (type != null && type.isTextual()) {
            putType(out, type.asText());
        } else if (type != null && type.isArray()) {
            ArrayNode kinds = NODES.arrayNode();
            for (JsonNode kind : type) {
                if ("null".equals(kind.asText())) {
                    out.put("nullable", true);
                } else {
                    kinds.add(kind.asText());
                }
            }
            if (kinds.size() == 1) {
                putType(out, kinds.get(0).asText());
            } else if (kinds.size() > 1) {
                ArrayNode any = out.putArray("anyOf");
                kinds.forEach(kind -> putType(any.addObject(), kind.asText()));
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (COPIED.contains(field.getKey()) && !out.has(field.getKey())) {
                out.set(field.getKey(), field.getValue().deepCopy());
            }
        }
        if (schema.path("format").isTextual()
                && FORMATS.getOrDefault(out.path("type").asText(), Set.of()).contains(schema.get("format").asText())) {
            out.put("format", schema.get("format").asText());
        }
        JsonNode values = schema.has("enum") ? schema.get("enum")
                : schema.has("const") ? NODES.arrayNode().add(schema.get("const")) : null;
        if (values != null && values.isArray() && (!out.has("type") || "STRING".equals(out.get("type").asText()))) {
            ArrayNode texts = out.putArray("enum");
            for (JsonNode value : values) {
                if (value.isNull()) {
                    out.put("nullable", true);
                } else {
                    texts.add(value.asText());
                }
            }
            out.put("type", "STRING");
        }
        if (schema.path("properties").isObject()) {
            ObjectNode properties = out.putObject("properties");
            schema.get("properties").fields().forEachRemaining(p -> properties.set(p.getKey(),
                    convert(p.getValue(), root, depth)));
        }
        if (schema.path("required").isArray()) {
            out.set("required", schema.get("required").deepCopy());
        }
        JsonNode items = schema.get("items");
        if (items != null && items.isObject()) {
            out.set("items", convert(items, root, depth));
        } else if (items != null && items.isArray() && !items.isEmpty()) {
            out.set("items", convert(items.get(0), root, depth)); // tuples have no Gemini form: the first shape
        }
        JsonNode alternatives = schema.has("anyOf") ? schema.get("anyOf") : schema.get("oneOf");
        if (alternatives != null && alternatives.isArray()) {
            ArrayNode any = NODES.arrayNode();
            for (JsonNode alternative : alternatives) {
                if ("null".equals(alternative.path("type").asText())) {
                    out.put("nullable", true);
                } else {
                    any.add(convert(alternative, root, depth));
                }
            }
            if (any.size() == 1) {
                merge(out, (ObjectNode) any.get(0));
            } else if (!any.isEmpty()) {
                out.set("anyOf", any);
            }
        }
        if (schema.path("allOf").isArray()) {
            for (JsonNode part : schema.get("allOf")) {
                merge(out, convert(part, root, depth));
            }
        }
        return out;
    }

    private static void putType(ObjectNode out, String type) {
        if ("null".equals(type)) {
            out.put("nullable", true);
        } else {
            out.put("type", type.toUpperCase(Locale.ROOT));
        }
    }

    /** Adds {@code from} to {@code into}: its properties and required names joined, other fields only if unset. */
    private static void merge(ObjectNode into, ObjectNode from) {
        from.fields().forEachRemaining(field -> {
            String name = field.getKey();
            if (name.equals("properties") && into.path("properties").isObject()) {
                ((ObjectNode) into.get("properties")).setAll((ObjectNode) field.getValue());
            } else if (name.equals("required") && into.path("required").isArray()) {
                ((ArrayNode) into.get("required")).addAll((ArrayNode) field.getValue());
            } else if (!into.has(name)) {
                into.set(name, field.getValue());
            }
        });
    }

    private static JsonNode resolve(JsonNode root, String ref) {
        if (!ref.startsWith("#")) {
            return null; // remote references are not fetched
        }
        JsonNode target = root.at(ref.substring(1));
        return target.isMissingNode() ? null : target;
    }
}
